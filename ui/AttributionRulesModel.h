// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Attribution.h"

#include <QAbstractTableModel>

namespace BucketScope {

// The attribution rules as an editable table: one row per rule, in the order they are tried. A rule
// being edited may be incomplete (an empty pattern); the Problem column says what is missing, and
// problem() names the first such rule so the dialog can refuse to save it.
class AttributionRulesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        TypeColumn,
        PatternColumn,
        ApplicationColumn,
        ProblemColumn,
        ColumnCount
    };

    explicit AttributionRulesModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    // The pattern (suffixes as "-public, -private") and the application; the type is chosen on adding.
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;
    bool removeRows(int row, int count, const QModelIndex &parent = QModelIndex()) override;
    bool moveRows(const QModelIndex &sourceParent, int sourceRow, int count,
                  const QModelIndex &destinationParent, int destinationChild) override;

    // A new, still empty rule of `kind` at `row` (appended when out of range); returns its row.
    int insertRule(int row, Attribution::Rule::Kind kind);
    // Moves one rule up (-1) or down (+1); false at the ends.
    bool moveRule(int row, int step);

    void setRules(const QList<Attribution::Rule> &rules);
    const QList<Attribution::Rule> &rules() const { return m_rules; }
    // The rules as the aggregator uses them (meaningful when problem() is empty).
    Attribution attribution() const { return Attribution(m_rules); }
    // What is wrong with one rule, or with the first rule that has a problem ("Rule 2 (Key prefix): ...");
    // empty when every rule can be used.
    QString problemAt(int row) const;
    QString problem() const;

    // The name a rule kind has in the dialog ("Key prefix").
    static QString kindLabel(Attribution::Rule::Kind kind);

private:
    bool isRuleIndex(const QModelIndex &index) const;

    QList<Attribution::Rule> m_rules;
};

} // namespace BucketScope
