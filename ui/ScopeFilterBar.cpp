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
    // Names come from the logs and the rules: long ones must not push the other filters away.
    m_application->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_application->setMinimumContentsLength(16);
    m_application->addItem(tr("Any application"), QString());
    layout->addWidget(m_application);

    m_operation = new QComboBox(this);
    m_operation->setObjectName(QStringLiteral("operationFilter"));
    m_operation->setToolTip(tr("Only the requests of one S3 operation"));
    // Names come from the logs and the rules: long ones must not push the other filters away.
    m_operation->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_operation->setMinimumContentsLength(16);
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
    connect(m_debounce, &QTimer::timeout, this, [this] {
        // `to` not after `from` is a window being edited, not an empty one: nothing to ask for yet.
        if (const TimeWindow window = timeWindow())
            emit timeWindowChosen(window);
    });

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
        } else if (on && !m_shown) {
            m_shown = std::pair{secondsOf(m_from), secondsOf(m_to)};
        }
        m_debounce->stop();
        emit timeWindowChosen(timeWindow());
    });
    // Each edit changes its own end; the other keeps the seconds it had (re-read from its wall time
    // it could move by an hour in the repeated hour of a DST change).
    connect(m_from, &QDateTimeEdit::dateTimeChanged, this, [this] {
        if (m_quiet || !m_shown)
            return;
        const qint64 from = secondsOf(m_from);
        qint64 to = m_shown->second;
        if (to <= from) {
            // Moved to or past `to`: the window moves along, keeping its length.
            to = from + std::max<qint64>(1, m_shown->second - m_shown->first);
            m_quiet = true;
            setEdit(m_to, to);
            m_quiet = false;
        }
        m_shown = std::pair{from, to};
        if (m_windowOn->isChecked())
            m_debounce->start();
    });
    connect(m_to, &QDateTimeEdit::dateTimeChanged, this, [this] {
        if (m_quiet || !m_shown)
            return;
        m_shown = std::pair{m_shown->first, secondsOf(m_to)};
        if (m_windowOn->isChecked())
            m_debounce->start();
    });
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
    const TimeWindow shown = m_shown;
    m_zone = zone;
    m_zoneLabel->setText(zone == QTimeZone::utc() ? tr("UTC") : QString::fromUtf8(zone.id()));
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

bool ScopeFilterBar::hasPendingWindow() const
{
    return m_debounce->isActive();
}

ScopeFilterBar::TimeWindow ScopeFilterBar::timeWindow() const
{
    if (!m_windowOn->isChecked() || !m_shown || m_shown->second <= m_shown->first)
        return std::nullopt;
    return m_shown;
}

void ScopeFilterBar::showWindow(const TimeWindow &window)
{
    setEdit(m_from, window->first);
    setEdit(m_to, window->second);
    m_shown = window;
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
