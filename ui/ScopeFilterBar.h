// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>
#include <QTimeZone>
#include <QWidget>

#include <optional>
#include <utility>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QLabel;
class QTimer;

namespace BucketScope {

// The filter bar's scope: one application, one operation and a time window [from, to). The boxes list
// the applications and operations of the summaries shown since the store was opened (addChoices), so a
// narrowed summary does not shrink them. Box changes are reported at once; edits of the time window
// once the user pauses. The window is shown in the window's time zone (UTC or local).
class ScopeFilterBar : public QWidget
{
    Q_OBJECT
public:
    using TimeWindow = std::optional<std::pair<qint64, qint64>>; // epoch seconds, `to` excluded

    explicit ScopeFilterBar(QWidget *parent = nullptr);

    void addChoices(const QStringList &applications, const QStringList &operations);
    void clearChoices();
    // The logs' first and last request time: where the window starts when it is switched on.
    void setDataRange(std::optional<qint64> first, std::optional<qint64> last);
    void setTimeZone(const QTimeZone &zone);
    // Shows the scope without emitting anything (history, chips, a chart click, a new store). An
    // application or operation not listed yet is added.
    void setScope(const QString &application, const QString &operation, const TimeWindow &window);

    QString application() const; // empty: any
    QString operation() const;   // empty: any
    TimeWindow timeWindow() const;
    // An edit of the time window the pause has not sent yet (a box changed meanwhile takes it along).
    bool hasPendingWindow() const;

    QComboBox *applicationBox() const { return m_application; }
    QComboBox *operationBox() const { return m_operation; }
    QCheckBox *windowBox() const { return m_windowOn; }
    QDateTimeEdit *fromEdit() const { return m_from; }
    QDateTimeEdit *toEdit() const { return m_to; }

signals:
    void applicationChosen(const QString &application);
    void operationChosen(const QString &operation);
    // The window as edited, or none (switched off). A window whose `to` is not after its `from` is
    // not sent.
    void timeWindowChosen(const BucketScope::ScopeFilterBar::TimeWindow &window);

private:
    static void addChoice(QComboBox *box, const QString &name);
    void showWindow(const TimeWindow &window);
    qint64 secondsOf(const QDateTimeEdit *edit) const;
    void setEdit(QDateTimeEdit *edit, qint64 seconds);

    QComboBox *m_application = nullptr;
    QComboBox *m_operation = nullptr;
    QCheckBox *m_windowOn = nullptr;
    QDateTimeEdit *m_from = nullptr;
    QDateTimeEdit *m_to = nullptr;
    QLabel *m_zoneLabel = nullptr;
    QTimer *m_debounce = nullptr;
    QTimeZone m_zone = QTimeZone::utc();
    std::optional<qint64> m_dataFirst, m_dataLast;
    // The window the edits show, in seconds: kept across zone changes, and its length when `from`
    // is moved past `to`.
    TimeWindow m_shown;
    bool m_quiet = false;
};

} // namespace BucketScope

Q_DECLARE_METATYPE(BucketScope::ScopeFilterBar::TimeWindow)
