// SPDX-License-Identifier: GPL-3.0-or-later
#include "AttributionRulesModel.h"

#include <QBrush>
#include <QColor>

namespace BucketScope {

namespace {

QString textOf(const std::string &text)
{
    return QString::fromStdString(text);
}

} // namespace

AttributionRulesModel::AttributionRulesModel(QObject *parent) : QAbstractTableModel(parent) {}

bool AttributionRulesModel::isRuleIndex(const QModelIndex &index) const
{
    // Views ask about invalid indexes routinely: not worth checkIndex()'s warning.
    return index.isValid() && index.model() == this && index.row() < m_rules.size() &&
           index.column() < ColumnCount;
}

QString AttributionRulesModel::kindLabel(Attribution::Rule::Kind kind)
{
    using Kind = Attribution::Rule::Kind;
    switch (kind) {
    case Kind::KeyPrefix:
        return tr("Key prefix");
    case Kind::KeyPathSegment:
        return tr("Key path segment");
    case Kind::KeySegmentSuffix:
        return tr("Key segment suffix");
    case Kind::RefererHost:
        return tr("Referer host");
    case Kind::RefererFirstLabel:
        return tr("Referer first label");
    case Kind::Requester:
        return tr("Requester");
    case Kind::UserAgentContains:
        break;
    }
    return tr("User agent contains");
}

int AttributionRulesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rules.size());
}

int AttributionRulesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AttributionRulesModel::data(const QModelIndex &index, int role) const
{
    if (!isRuleIndex(index))
        return {};
    const Attribution::Rule &rule = m_rules.at(index.row());
    using Kind = Attribution::Rule::Kind;
    if (role == Qt::DisplayRole || role == Qt::EditRole) {
        switch (index.column()) {
        case TypeColumn:
            return role == Qt::EditRole ? Attribution::typeName(rule.kind) : kindLabel(rule.kind);
        case PatternColumn:
            if (rule.kind == Kind::KeySegmentSuffix) {
                QStringList suffixes;
                for (const std::string &suffix : rule.suffixes)
                    suffixes << textOf(suffix);
                return suffixes.join(QStringLiteral(", "));
            }
            return textOf(rule.pattern);
        case ApplicationColumn:
            if (rule.hasFixedApplication())
                return textOf(rule.application);
            if (role == Qt::EditRole)
                return QString();
            return rule.kind == Kind::KeySegmentSuffix ? tr("(the segment before the suffix)")
                                                       : tr("(the host's first label)");
        case ProblemColumn:
            return problemAt(index.row());
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole && index.column() == PatternColumn) {
        switch (rule.kind) {
        case Kind::KeyPrefix:
            return tr("The key starts with this text.");
        case Kind::KeyPathSegment:
            return tr("One part of the key between slashes is exactly this text.");
        case Kind::KeySegmentSuffix:
            return tr("Suffixes separated by commas; a key segment <application><suffix> names the "
                      "application.");
        case Kind::RefererHost:
            return tr("The referer's host is this host or below it.");
        case Kind::RefererFirstLabel:
            return tr("Optional domain: only hosts below it count.");
        case Kind::Requester:
            return tr("The requester (IAM ARN or canonical user ID) is exactly this text.");
        case Kind::UserAgentContains:
            return tr("The user agent contains this text (ignoring ASCII case).");
        }
    }
    if (role == Qt::ForegroundRole && index.column() == ProblemColumn)
        return QBrush(QColor(0xb0, 0x00, 0x20));
    return {};
}

QVariant AttributionRulesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Vertical)
        return section + 1; // the rule's place in the order
    switch (section) {
    case TypeColumn:
        return tr("Match on");
    case PatternColumn:
        return tr("Pattern");
    case ApplicationColumn:
        return tr("Application");
    case ProblemColumn:
        return tr("Problem");
    default:
        return {};
    }
}

Qt::ItemFlags AttributionRulesModel::flags(const QModelIndex &index) const
{
    if (!isRuleIndex(index))
        return Qt::NoItemFlags;
    Qt::ItemFlags flags = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    const Attribution::Rule &rule = m_rules.at(index.row());
    if (index.column() == PatternColumn ||
        (index.column() == ApplicationColumn && rule.hasFixedApplication()))
        flags |= Qt::ItemIsEditable;
    return flags;
}

bool AttributionRulesModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !(flags(index) & Qt::ItemIsEditable))
        return false;
    Attribution::Rule &rule = m_rules[index.row()];
    // Surrounding blanks are almost always a slip of the keyboard; inside a pattern they count.
    const QString text = value.toString().trimmed();
    if (index.column() == ApplicationColumn) {
        rule.application = text.toStdString();
    } else if (rule.kind == Attribution::Rule::Kind::KeySegmentSuffix) {
        rule.suffixes.clear();
        for (const QString &suffix : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
            if (!suffix.trimmed().isEmpty())
                rule.suffixes.append(suffix.trimmed().toStdString());
    } else {
        rule.pattern = text.toStdString();
    }
    emit dataChanged(this->index(index.row(), 0), this->index(index.row(), ColumnCount - 1));
    return true;
}

bool AttributionRulesModel::removeRows(int row, int count, const QModelIndex &parent)
{
    if (parent.isValid() || row < 0 || count <= 0 || row + count > m_rules.size())
        return false;
    beginRemoveRows(QModelIndex(), row, row + count - 1);
    m_rules.remove(row, count);
    endRemoveRows();
    return true;
}

bool AttributionRulesModel::moveRows(const QModelIndex &sourceParent, int sourceRow, int count,
                                     const QModelIndex &destinationParent, int destinationChild)
{
    if (sourceParent.isValid() || destinationParent.isValid() || count != 1 || sourceRow < 0 ||
        sourceRow >= m_rules.size() || destinationChild < 0 || destinationChild > m_rules.size() ||
        destinationChild == sourceRow || destinationChild == sourceRow + 1)
        return false;
    if (!beginMoveRows(QModelIndex(), sourceRow, sourceRow, QModelIndex(), destinationChild))
        return false;
    // destinationChild counts rows before the move; once the row is taken out, later places shift by one.
    m_rules.move(sourceRow, destinationChild > sourceRow ? destinationChild - 1 : destinationChild);
    endMoveRows();
    return true;
}

bool AttributionRulesModel::moveRule(int row, int step)
{
    const int target = row + step;
    if (row < 0 || row >= m_rules.size() || target < 0 || target >= m_rules.size() || step == 0)
        return false;
    return moveRows(QModelIndex(), row, 1, QModelIndex(), step > 0 ? target + 1 : target);
}

int AttributionRulesModel::insertRule(int row, Attribution::Rule::Kind kind)
{
    if (row < 0 || row > m_rules.size())
        row = int(m_rules.size());
    Attribution::Rule rule;
    rule.kind = kind;
    if (kind == Attribution::Rule::Kind::KeySegmentSuffix)
        rule.suffixes = {"-public", "-private"};
    beginInsertRows(QModelIndex(), row, row);
    m_rules.insert(row, rule);
    endInsertRows();
    return row;
}

void AttributionRulesModel::setRules(const QList<Attribution::Rule> &rules)
{
    beginResetModel();
    m_rules = rules;
    endResetModel();
}

QString AttributionRulesModel::problemAt(int row) const
{
    if (row < 0 || row >= m_rules.size())
        return {};
    return Attribution::problemWith(m_rules.at(row));
}

QString AttributionRulesModel::problem() const
{
    for (int row = 0; row < m_rules.size(); ++row) {
        const QString problem = problemAt(row);
        if (!problem.isEmpty())
            return tr("Rule %1 (%2): %3").arg(row + 1).arg(kindLabel(m_rules.at(row).kind), problem);
    }
    return {};
}

} // namespace BucketScope
