// SPDX-License-Identifier: GPL-3.0-or-later
#include "AttributionRulesPage.h"

#include "AttributionRulesModel.h"
#include "PlainLabel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace BucketScope {

AttributionRulesPage::AttributionRulesPage(const Attribution &rules, QWidget *parent) : QWidget(parent)
{
    m_model = new AttributionRulesModel(this);
    m_model->setRules(rules.rules());

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(plainLabel(tr("Rules are tried from the top. The first rule that matches the request's "
                                    "key, referer, requester or user agent names its application, whichever "
                                    "field it looks at; requests no rule matches are \"unattributed\". "
                                    "Changing the rules re-attributes what is open without reading the logs "
                                    "again."),
                                 this));

    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                             QAbstractItemView::AnyKeyPressed);
    m_table->horizontalHeader()->setSectionResizeMode(AttributionRulesModel::PatternColumn,
                                                      QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(AttributionRulesModel::ProblemColumn,
                                                      QHeaderView::ResizeToContents);
    layout->addWidget(m_table, 1);

    auto *buttons = new QHBoxLayout;
    m_type = new QComboBox(this);
    for (Attribution::Rule::Kind kind : Attribution::kinds())
        m_type->addItem(AttributionRulesModel::kindLabel(kind), int(kind));
    auto *add = new QPushButton(tr("&Add"), this);
    m_remove = new QPushButton(tr("&Remove"), this);
    m_up = new QPushButton(tr("Move &Up"), this);
    m_down = new QPushButton(tr("Move &Down"), this);
    auto *restore = new QPushButton(tr("Restore &Defaults"), this);
    buttons->addWidget(m_type);
    buttons->addWidget(add);
    buttons->addWidget(m_remove);
    buttons->addWidget(m_up);
    buttons->addWidget(m_down);
    buttons->addStretch();
    buttons->addWidget(restore);
    layout->addLayout(buttons);

    m_problem = plainLabel(QString(), this);
    m_problem->setStyleSheet(QStringLiteral("color: #b00020"));
    layout->addWidget(m_problem);

    auto *test = new QGroupBox(tr("Test a request"), this);
    auto *form = new QFormLayout(test);
    m_testKey = new QLineEdit(test);
    m_testKey->setPlaceholderText(tr("files/71479fa3/castingly-public/photo.webp"));
    m_testReferer = new QLineEdit(test);
    m_testReferer->setPlaceholderText(tr("https://castingly.dailey.dev/"));
    m_testRequester = new QLineEdit(test);
    m_testRequester->setPlaceholderText(tr("arn:aws:iam::123456789012:user/uploader"));
    m_testUserAgent = new QLineEdit(test);
    m_testUserAgent->setPlaceholderText(tr("Mozilla/5.0 …"));
    form->addRow(tr("Key:"), m_testKey);
    form->addRow(tr("Referer:"), m_testReferer);
    form->addRow(tr("Requester:"), m_testRequester);
    form->addRow(tr("User agent:"), m_testUserAgent);
    m_testResult = plainLabel(QString(), test);
    m_testResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Result:"), m_testResult);
    layout->addWidget(test);

    connect(add, &QPushButton::clicked, this, &AttributionRulesPage::addRule);
    connect(m_remove, &QPushButton::clicked, this, &AttributionRulesPage::removeSelected);
    connect(m_up, &QPushButton::clicked, this, [this] { moveSelected(-1); });
    connect(m_down, &QPushButton::clicked, this, [this] { moveSelected(1); });
    connect(restore, &QPushButton::clicked, this, &AttributionRulesPage::restoreDefaults);
    for (QLineEdit *edit : {m_testKey, m_testReferer, m_testRequester, m_testUserAgent})
        connect(edit, &QLineEdit::textChanged, this, &AttributionRulesPage::updateStatus);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &AttributionRulesPage::updateStatus);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &AttributionRulesPage::updateStatus);
    connect(m_model, &QAbstractItemModel::rowsMoved, this, &AttributionRulesPage::updateStatus);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &AttributionRulesPage::updateStatus);
    connect(m_model, &QAbstractItemModel::modelReset, this, &AttributionRulesPage::updateStatus);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &AttributionRulesPage::updateStatus);
    updateStatus();
}

QString AttributionRulesPage::problem() const
{
    return m_model->problem();
}

Attribution AttributionRulesPage::attribution() const
{
    return m_model->attribution();
}

int AttributionRulesPage::selectedRow() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? -1 : rows.first().row();
}

void AttributionRulesPage::selectRow(int row)
{
    m_table->setCurrentIndex(m_model->index(row, AttributionRulesModel::PatternColumn));
    m_table->selectRow(row);
}

void AttributionRulesPage::addRule()
{
    const int selected = selectedRow();
    const int row = m_model->insertRule(selected < 0 ? -1 : selected + 1,
                                        Attribution::Rule::Kind(m_type->currentData().toInt()));
    selectRow(row);
    m_table->edit(m_model->index(row, AttributionRulesModel::PatternColumn));
}

void AttributionRulesPage::removeSelected()
{
    const int row = selectedRow();
    if (row < 0)
        return;
    m_model->removeRows(row, 1);
    if (m_model->rowCount() > 0)
        selectRow(std::min(row, m_model->rowCount() - 1));
}

void AttributionRulesPage::moveSelected(int step)
{
    const int row = selectedRow();
    if (row >= 0 && m_model->moveRule(row, step))
        selectRow(row + step);
}

void AttributionRulesPage::restoreDefaults()
{
    m_model->setRules(Attribution::defaults().rules());
}

QString AttributionRulesPage::testResult() const
{
    return m_testResult->text();
}

QString AttributionRulesPage::problemText() const
{
    return m_problem->text();
}

void AttributionRulesPage::updateStatus()
{
    const int row = selectedRow();
    m_remove->setEnabled(row >= 0);
    m_up->setEnabled(row > 0);
    m_down->setEnabled(row >= 0 && row + 1 < m_model->rowCount());
    const QString problem = m_model->problem();
    m_problem->setText(problem);

    // A field left empty or "-" is absent, as in the logs.
    std::string fields[Attribution::kFieldCount];
    std::string_view views[Attribution::kFieldCount];
    bool any = false;
    const QLineEdit *edits[] = {m_testKey, m_testReferer, m_testRequester, m_testUserAgent};
    for (int i = 0; i < Attribution::kFieldCount; ++i) {
        const QString text = edits[i]->text().trimmed();
        if (text.isEmpty() || text == QLatin1String("-"))
            continue;
        fields[i] = text.toStdString();
        views[i] = fields[i];
        any = true;
    }
    if (!any) {
        m_testResult->setText(tr("Fill in at least one field."));
        return;
    }
    if (!problem.isEmpty()) {
        m_testResult->setText(tr("Fix the rules first."));
        return;
    }
    const Attribution::Match match = m_model->attribution().match({views[0], views[1], views[2], views[3]});
    if (match.rule == Attribution::Match::kNone) {
        m_testResult->setText(tr("No rule matches: %1")
                                  .arg(QLatin1String(Attribution::kUnattributed.data(),
                                                     qsizetype(Attribution::kUnattributed.size()))));
        return;
    }
    m_testResult->setText(tr("Rule %1 (%2) matches: %3")
                              .arg(match.rule + 1)
                              .arg(AttributionRulesModel::kindLabel(m_model->rules().at(match.rule).kind),
                                   QString::fromStdString(match.application)));
}

} // namespace BucketScope
