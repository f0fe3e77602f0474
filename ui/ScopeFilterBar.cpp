// SPDX-License-Identifier: GPL-3.0-or-later
#include "ScopeFilterBar.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QLabel>
#include <QTimer>

namespace BucketScope {

namespace {
const QString kDateTimeFormat = QStringLiteral("yyyy-MM-dd HH:mm:ss");
}

ScopeFilterBar::ScopeFilterBar(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    m_application = new QComboBox(this);
    m_application->setObjectName(QStringLiteral("applicationFilter"));
    m_application->setToolTip(tr("Only the requests the attribution rules give one application"));
    m_application->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_application->addItem(tr("Any application"), QString());
    layout->addWidget(m_application);

    m_operation = new QComboBox(this);
    m_operation->setObjectName(QStringLiteral("operationFilter"));
    m_operation->setToolTip(tr("Only the requests of one S3 operation"));
    m_operation->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_operation->addItem(tr("Any operation"), QString());
    layout->addWidget(m_operation);

    m_windowOn = new QCheckBox(tr("From"), this);
    m_windowOn->setObjectName(QStringLiteral("timeWindowFilter"));
    m_windowOn->setToolTip(tr("Only the requests in a time window (a chart click sets one too)"));
    m_from = new QDateTimeEdit(this);
    m_from->setObjectName(QStringLiteral("timeWindowFrom"));
    m_to = new QDateTimeEdit(this);
    m_to->setObjectName(QStringLiteral("timeWindowTo"));
    m_to->setToolTip(tr("Up to this time, not including it"));
    for (QDateTimeEdit *edit : {m_from, m_to}) {
        // The edits hold the wall time of the window's zone; secondsOf() reads it in that zone.
        edit->setTimeSpec(Qt::UTC);
        edit->setDisplayFormat(kDateTimeFormat);
        edit->setCalendarPopup(true);
        edit->setEnabled(false);
    }
    m_zoneLabel = new QLabel(this);
    m_zoneLabel->setTextFormat(Qt::PlainText);
    layout->addWidget(m_windowOn);
    layout->addWidget(m_from);
    layout->addWidget(new QLabel(tr("to"), this));
    layout->addWidget(m_to);
    layout->addWidget(m_zoneLabel);
    setTimeZone(m_zone);

    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(600);
    connect(m_debounce, &QTimer::timeout, this, [this] { emit timeWindowChosen(timeWindow()); });

    connect(m_application, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_quiet)
            emit applicationChosen(application());
    });
    connect(m_operation, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_quiet)
            emit operationChosen(operation());
    });
    connect(m_windowOn, &QCheckBox::toggled, this, [this](bool on) {
        m_from->setEnabled(on);
        m_to->setEnabled(on);
        if (m_quiet)
            return;
        if (on && m_dataFirst && m_dataLast) {
            // Switched on: the whole of the logs, to be narrowed from there.
            m_quiet = true;
            showWindow(std::pair{*m_dataFirst, *m_dataLast + 1});
            m_quiet = false;
        }
        m_debounce->stop();
        emit timeWindowChosen(timeWindow());
    });
    auto edited = [this] {
        // `to` stays after `from`: an empty window is never asked for.
        m_to->setMinimumDateTime(m_from->dateTime().addSecs(1));
        if (!m_quiet && m_windowOn->isChecked())
            m_debounce->start();
    };
    connect(m_from, &QDateTimeEdit::dateTimeChanged, this, edited);
    connect(m_to, &QDateTimeEdit::dateTimeChanged, this, edited);
}

void ScopeFilterBar::addChoice(QComboBox *box, const QString &name)
{
    if (name.isEmpty() || box->findData(name) >= 0)
        return;
    // Sorted after the "Any" entry, so a name is found where one looks for it.
    int row = 1;
    while (row < box->count() && box->itemData(row).toString().compare(name, Qt::CaseInsensitive) < 0)
        ++row;
    box->insertItem(row, name, name);
}

void ScopeFilterBar::addChoices(const QStringList &applications, const QStringList &operations)
{
    m_quiet = true;
    for (const QString &name : applications)
        addChoice(m_application, name);
    for (const QString &name : operations)
        addChoice(m_operation, name);
    m_quiet = false;
}

void ScopeFilterBar::clearChoices()
{
    m_quiet = true;
    for (QComboBox *box : {m_application, m_operation}) {
        while (box->count() > 1)
            box->removeItem(box->count() - 1);
        box->setCurrentIndex(0);
    }
    m_quiet = false;
}

void ScopeFilterBar::setDataRange(std::optional<qint64> first, std::optional<qint64> last)
{
    m_dataFirst = first;
    m_dataLast = last;
    if (!m_windowOn->isChecked() && first && last) {
        m_quiet = true;
        showWindow(std::pair{*first, *last + 1});
        m_quiet = false;
    }
}

void ScopeFilterBar::setTimeZone(const QTimeZone &zone)
{
    const TimeWindow shown = m_windowOn->isChecked() ? timeWindow() : TimeWindow();
    m_zone = zone;
    m_zoneLabel->setText(zone == QTimeZone::utc() ? QStringLiteral("UTC") : QString::fromUtf8(zone.id()));
    m_quiet = true;
    if (shown)
        showWindow(shown);
    m_quiet = false;
}

void ScopeFilterBar::setScope(const QString &application, const QString &operation, const TimeWindow &window)
{
    m_quiet = true;
    m_debounce->stop();
    addChoice(m_application, application);
    addChoice(m_operation, operation);
    m_application->setCurrentIndex(std::max(0, m_application->findData(application)));
    m_operation->setCurrentIndex(std::max(0, m_operation->findData(operation)));
    m_windowOn->setChecked(window.has_value());
    if (window)
        showWindow(window);
    m_quiet = false;
}

QString ScopeFilterBar::application() const
{
    return m_application->currentData().toString();
}

QString ScopeFilterBar::operation() const
{
    return m_operation->currentData().toString();
}

ScopeFilterBar::TimeWindow ScopeFilterBar::timeWindow() const
{
    if (!m_windowOn->isChecked())
        return std::nullopt;
    const qint64 from = secondsOf(m_from), to = secondsOf(m_to);
    if (to <= from)
        return std::nullopt;
    return std::pair{from, to};
}

void ScopeFilterBar::showWindow(const TimeWindow &window)
{
    m_to->clearMinimumDateTime();
    setEdit(m_from, window->first);
    setEdit(m_to, window->second);
    m_to->setMinimumDateTime(m_from->dateTime().addSecs(1));
}

qint64 ScopeFilterBar::secondsOf(const QDateTimeEdit *edit) const
{
    const QDateTime wall = edit->dateTime();
    return QDateTime(wall.date(), wall.time(), m_zone).toSecsSinceEpoch();
}

void ScopeFilterBar::setEdit(QDateTimeEdit *edit, qint64 seconds)
{
    const QDateTime inZone = QDateTime::fromSecsSinceEpoch(seconds, m_zone);
    edit->setDateTime(QDateTime(inZone.date(), inZone.time(), Qt::UTC));
}

} // namespace BucketScope
