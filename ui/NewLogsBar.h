// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QFrame>

class QLabel;
class QPushButton;

namespace BucketScope {

// Says that log files arrived in what is open since it was loaded, and offers to read them
// (AnalysisSession::newLogsAvailable / loadNew). Hidden while there is nothing new; Dismiss hides it
// until more files arrive.
class NewLogsBar : public QFrame
{
    Q_OBJECT
public:
    explicit NewLogsBar(QWidget *parent = nullptr);

    QString text() const;
    QPushButton *loadButton() const { return m_load; }
    QPushButton *dismissButton() const { return m_dismiss; }

public slots:
    // Shows (or, for 0 files, hides) the offer. After Dismiss it shows again only for a larger count.
    void setNewLogs(int files, qint64 bytes);

signals:
    void loadRequested();

private:
    QLabel *m_text = nullptr;
    QPushButton *m_load = nullptr;
    QPushButton *m_dismiss = nullptr;
    int m_files = 0;
    int m_dismissedAt = 0; // the count Dismiss was pressed at
};

} // namespace BucketScope
