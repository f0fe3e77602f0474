// SPDX-License-Identifier: GPL-3.0-or-later
#include "RejectedLinesDialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlQueryModel>
#include <QTableView>
#include <QTimer>
#include <QUuid>
#include <QVBoxLayout>

namespace BucketScope {

RejectedLinesDialog::RejectedLinesDialog(const QString &storePath, QWidget *parent)
    : QDialog(parent), m_connectionName(QStringLiteral("rejects-") + QUuid::createUuid().toString())
{
    setWindowTitle(tr("Rejected lines"));
    resize(1000, 500);
    auto *layout = new QVBoxLayout(this);
    auto *hint = new QLabel(
        tr("Lines that are not S3 access-log records. Everything else in their files was loaded."), this);
    hint->setTextFormat(Qt::PlainText);
    layout->addWidget(hint);

    m_model = new QSqlQueryModel(this);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
        db.setDatabaseName(storePath);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=5000"));
        if (db.open()) {
            m_model->setQuery(QSqlQuery(
                QStringLiteral("SELECT file, line_no, reason, line_text FROM rejects ORDER BY id"), db));
            while (m_model->canFetchMore())
                m_model->fetchMore();
        } else {
            hint->setText(tr("The store could not be opened: %1").arg(db.lastError().text()));
        }
    }
    const QStringList titles = {tr("File"), tr("Line"), tr("Reason"), tr("Text")};
    for (int column = 0; column < titles.size(); ++column)
        m_model->setHeaderData(column, Qt::Horizontal, titles.at(column));

    auto *view = new QTableView(this);
    view->setModel(m_model);
    view->setWordWrap(false);
    view->verticalHeader()->setVisible(false);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    layout->addWidget(view, 1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

RejectedLinesDialog::~RejectedLinesDialog()
{
    m_model->clear();
    delete m_model;
    m_model = nullptr;
    const QString name = m_connectionName;
    QTimer::singleShot(0, [name] { QSqlDatabase::removeDatabase(name); });
}

} // namespace BucketScope
