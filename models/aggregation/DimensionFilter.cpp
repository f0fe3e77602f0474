// SPDX-License-Identifier: GPL-3.0-or-later
#include "DimensionFilter.h"

#include "DerivedDimensions.h"

#include <QHash>
#include <QStringList>

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

QString DimensionFilter::resolvedCondition() const
{
    const QString column = DerivedDimensions::sourceColumn(dimension);
    if (!resolution || column.isEmpty() || resolution->column != column)
        return QStringLiteral("0 = 1");
    // has(value): true or false for every row, never NULL, so that NOT has(value) is its exact
    // opposite (a NULL would drop the row from both).
    QString has;
    const bool anyIds = !resolution->ids.empty();
    QStringList numbers;
    numbers.reserve(qsizetype(resolution->ids.size()));
    for (qint64 id : resolution->ids)
        numbers << QString::number(id);
    const QString list = numbers.join(QLatin1Char(','));
    const QString whenNull = resolution->nullHasValue ? QStringLiteral("1") : QStringLiteral("0");
    const QString known = QStringLiteral("CASE WHEN %1 IS NULL THEN %2 WHEN %1 > %3 THEN 0")
                              .arg(column, whenNull)
                              .arg(resolution->maxKnownId);
    if (!resolution->idsLackValue) {
        has = anyIds ? QStringLiteral("(%1 WHEN %2 IN (%3) THEN 1 ELSE 0 END)").arg(known, column, list)
                     : QStringLiteral("(%1 ELSE 0 END)").arg(known);
    } else {
        has = anyIds ? QStringLiteral("(%1 WHEN %2 IN (%3) THEN 0 ELSE 1 END)").arg(known, column, list)
                     : QStringLiteral("(%1 ELSE 1 END)").arg(known);
    }
    return QStringLiteral("%1 = %2").arg(has, exclude ? QStringLiteral("0") : QStringLiteral("1"));
}

} // namespace BucketScope
