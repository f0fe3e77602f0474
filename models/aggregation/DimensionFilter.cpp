// SPDX-License-Identifier: GPL-3.0-or-later
#include "DimensionFilter.h"

#include "DerivedDimensions.h"

#include <QHash>
#include <QStringList>

#include <algorithm>
#include <iterator>

namespace BucketScope {

QString DimensionFilter::columnFor(const QString &dimension)
{
    static const QHash<QString, QString> columns = {
        {QStringLiteral("key"), QStringLiteral("object_key_ref")},
        {QStringLiteral("referer"), QStringLiteral("referer_ref")},
        {QStringLiteral("remote_ip"), QStringLiteral("remote_ip_ref")},
        {QStringLiteral("user_agent"), QStringLiteral("user_agent_ref")},
        {QStringLiteral("operation"), QStringLiteral("operation_ref")},
        {QStringLiteral("error_code"), QStringLiteral("error_code_ref")},
        {QStringLiteral("bucket"), QStringLiteral("bucket_ref")},
    };
    return columns.value(dimension);
}

bool DimensionFilter::isKnown(const QString &dimension)
{
    return !columnFor(dimension).isEmpty() || DerivedDimensions::isDerived(dimension);
}

bool DimensionFilter::isDerived() const
{
    return DerivedDimensions::isDerived(dimension);
}

QString IdMembership::sql() const
{
    return sqlOn(column);
}

QString IdMembership::sqlOn(const QString &column) const
{
    const QString whenNull = nullHasValue ? QStringLiteral("1") : QStringLiteral("0");
    const QString known = QStringLiteral("CASE WHEN %1 IS NULL THEN %2 WHEN %1 > %3 THEN 0")
                              .arg(column, whenNull)
                              .arg(maxKnownId);
    const QString listed = idsLackValue ? QStringLiteral("0") : QStringLiteral("1");
    const QString others = idsLackValue ? QStringLiteral("1") : QStringLiteral("0");
    if (ids.empty())
        return QStringLiteral("(%1 ELSE %2 END)").arg(known, others);
    QString list;
    list.reserve(qsizetype(ids.size()) * 8);
    for (qint64 id : ids) {
        if (!list.isEmpty())
            list += QLatin1Char(',');
        list += QString::number(id);
    }
    return QStringLiteral("(%1 WHEN %2 IN (%3) THEN %4 ELSE %5 END)")
        .arg(known, column, list, listed, others);
}

IdMembership IdMembership::of(const QString &column, std::vector<qint64> in,
                              const std::vector<qint64> &sortedKnown, bool nullHasValue)
{
    IdMembership membership;
    membership.column = column;
    membership.nullHasValue = nullHasValue;
    std::sort(in.begin(), in.end());
    membership.maxKnownId = sortedKnown.empty() ? 0 : sortedKnown.back();
    std::vector<qint64> out;
    std::set_difference(sortedKnown.begin(), sortedKnown.end(), in.begin(), in.end(),
                        std::back_inserter(out));
    membership.idsLackValue = out.size() < in.size();
    membership.ids = std::move(membership.idsLackValue ? out : in);
    return membership;
}

QString DimensionFilter::resolvedCondition() const
{
    return conditionWith([](const QString &column) { return column; });
}

QString DimensionFilter::conditionWith(const std::function<QString(const QString &)> &columnName) const
{
    if (!resolution)
        return QStringLiteral("0 = 1");
    QString has;
    if (resolution->multiColumn) {
        // The application's alternatives; none (no rule can name it) leaves no row.
        QStringList alternatives;
        for (const std::vector<DerivedResolution::Term> &terms : resolution->anyOf) {
            QStringList all;
            for (const DerivedResolution::Term &term : terms)
                all << QStringLiteral("%1 = %2").arg(
                    term.membership.sqlOn(columnName(term.membership.column)),
                    term.negated ? QStringLiteral("0") : QStringLiteral("1"));
            alternatives << (all.isEmpty() ? QStringLiteral("1 = 1")
                                           : QStringLiteral("(%1)").arg(all.join(QStringLiteral(" AND "))));
        }
        has = alternatives.isEmpty() ? QStringLiteral("0")
                                     : QStringLiteral("(CASE WHEN %1 THEN 1 ELSE 0 END)")
                                           .arg(alternatives.join(QStringLiteral(" OR ")));
    } else {
        const QString column = DerivedDimensions::sourceColumn(dimension);
        if (column.isEmpty() || resolution->column != column)
            return QStringLiteral("0 = 1");
        has = resolution->sqlOn(columnName(column));
    }
    return QStringLiteral("%1 = %2").arg(has, exclude ? QStringLiteral("0") : QStringLiteral("1"));
}

QString DimensionFilter::resolvedConditionOnRowsView() const
{
    // The view names the key column key_ref and has no requester: a rule on the requester needs the
    // table itself, through the row ids (a scan of `requests` per query, so only then).
    bool needsRequester = false;
    if (resolution && resolution->multiColumn)
        for (const auto &terms : resolution->anyOf)
            for (const DerivedResolution::Term &term : terms)
                needsRequester = needsRequester || term.membership.column == QLatin1String("requester_ref");
    if (needsRequester)
        return QStringLiteral("id IN (SELECT id FROM requests WHERE %1)").arg(resolvedCondition());
    return conditionWith([](const QString &column) {
        return column == QLatin1String("object_key_ref") ? QStringLiteral("key_ref") : column;
    });
}

} // namespace BucketScope
