// SPDX-License-Identifier: GPL-3.0-or-later
#include "NewLogsBar.h"

#include "charts/Formatting.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

#include <algorithm>

namespace BucketScope {

NewLogsBar::NewLogsBar(QWidget *parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("newLogsBar"));
    setStyleSheet(
        QStringLiteral("#newLogsBar { background: #e8f4fd; } #newLogsBar QLabel { color: #0b3c5d; }"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 3, 6, 3);
    m_text = new QLabel(this);
    m_text->setTextFormat(Qt::PlainText);
    m_load = new QPushButton(tr("Load Them"), this);
    m_dismiss = new QPushButton(tr("Dismiss"), this);
    layout->addWidget(m_text, 1);
    layout->addWidget(m_load);
    layout->addWidget(m_dismiss);
    connect(m_load, &QPushButton::clicked, this, [this] {
        hide();
        emit loadRequested();
    });
    connect(m_dismiss, &QPushButton::clicked, this, [this] {
        m_dismissedAt = m_files;
        hide();
    });
    hide();
}

QString NewLogsBar::text() const
{
    return m_text->text();
}

void NewLogsBar::setNewLogs(int files, qint64 bytes)
{
    m_files = files;
    m_dismissedAt = std::min(m_dismissedAt, files); // some were read meanwhile: later ones are news
    if (files <= 0) {
        m_dismissedAt = 0;
        hide();
        return;
    }
    m_text->setText(tr("%n new or changed log file(s) (%1) since the load: the views do not show them yet.",
                       nullptr, files)
                        .arg(Formatting::bytes(bytes)));
    setVisible(files > m_dismissedAt);
}

} // namespace BucketScope
