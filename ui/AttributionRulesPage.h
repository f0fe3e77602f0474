// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Attribution.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;

namespace BucketScope {

class AttributionRulesModel;

// The Applications page of the Preferences: the attribution rules in the order they are tried, with
// add, remove, move up/down and "Restore Defaults", the first problem shown under the table, and a
// "Test a request" box that says which rule the pasted request matches.
class AttributionRulesPage : public QWidget
{
    Q_OBJECT
public:
    explicit AttributionRulesPage(const Attribution &rules, QWidget *parent = nullptr);

    AttributionRulesModel *model() const { return m_model; }
    // The first rule that cannot be used, empty when all can.
    QString problem() const;
    Attribution attribution() const;

    // Adds a rule of the kind chosen in the type box after the selected rule (or at the end) and
    // starts editing its pattern.
    void addRule();
    void removeSelected();
    void moveSelected(int step);
    void restoreDefaults();
    void selectRow(int row);
    int selectedRow() const;

    // For tests and keyboard-free use.
    QTableView *table() const { return m_table; }
    QComboBox *typeBox() const { return m_type; }
    QLineEdit *testKeyEdit() const { return m_testKey; }
    QLineEdit *testRefererEdit() const { return m_testReferer; }
    QLineEdit *testRequesterEdit() const { return m_testRequester; }
    QLineEdit *testUserAgentEdit() const { return m_testUserAgent; }
    QString testResult() const;
    QString problemText() const;

private:
    void updateStatus();

    AttributionRulesModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QComboBox *m_type = nullptr;
    QPushButton *m_remove = nullptr;
    QPushButton *m_up = nullptr;
    QPushButton *m_down = nullptr;
    QLabel *m_problem = nullptr;
    QLineEdit *m_testKey = nullptr;
    QLineEdit *m_testReferer = nullptr;
    QLineEdit *m_testRequester = nullptr;
    QLineEdit *m_testUserAgent = nullptr;
    QLabel *m_testResult = nullptr;
};

} // namespace BucketScope
