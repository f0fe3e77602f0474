// SPDX-License-Identifier: GPL-3.0-or-later
#include "DerivedDimensions.h"

#include "AudienceBuilder.h"
#include "clients/ClientClassifier.h"

#include <QHash>

#include <algorithm>

namespace BucketScope {

namespace {

const QString kCountry = QStringLiteral("country");
const QString kAsn = QStringLiteral("asn");
const QString kClient = QStringLiteral("client");
const QString kUnknown = QStringLiteral("unknown");

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

} // namespace

bool DerivedDimensions::isDerived(const QString &dimension)
{
    return dimension == kCountry || dimension == kAsn || dimension == kClient;
}

QString DerivedDimensions::sourceColumn(const QString &dimension)
{
    if (dimension == kCountry || dimension == kAsn)
        return QStringLiteral("remote_ip_ref");
    if (dimension == kClient)
        return QStringLiteral("user_agent_ref");
    return QString();
}

bool DerivedDimensions::normalise(DimensionFilter &filter, QString *error)
{
    const QString value = filter.value.trimmed();
    if (filter.dimension == kCountry) {
        if (value.compare(kUnknown, Qt::CaseInsensitive) == 0) {
            filter.value = kUnknown;
            return true;
        }
        const bool twoLetters = value.size() == 2 && std::all_of(value.begin(), value.end(), [](QChar c) {
                                    return (c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
                                           (c >= QLatin1Char('A') && c <= QLatin1Char('Z'));
                                });
        if (!twoLetters)
            return fail(error, QStringLiteral("'%1' is not a country: give its two-letter ISO 3166 code "
                                              "(DE, US, …) or 'unknown'")
                                   .arg(filter.value));
        filter.value = value.toUpper();
        return true;
    }
    if (filter.dimension == kAsn) {
        QString digits = value;
        if (digits.startsWith(QLatin1String("AS"), Qt::CaseInsensitive))
            digits = digits.mid(2);
        bool ok = false;
        const quint32 asn = digits.toUInt(&ok);
        if (!ok)
            return fail(error, QStringLiteral("'%1' is not a network: give its autonomous system number "
                                              "(15169 or AS15169; 0 for addresses in no known network)")
                                   .arg(filter.value));
        filter.value = QString::number(asn);
        return true;
    }
    if (filter.dimension == kClient) {
        const auto kind = ClientClassifier::fromName(value.toLower());
        if (!kind)
            return fail(error,
                        QStringLiteral("'%1' is not a client class: give browser, bot, tool or unknown")
                            .arg(filter.value));
        filter.value = ClientClassifier::nameOf(*kind);
        return true;
    }
    return fail(error, QStringLiteral("cannot filter on '%1'").arg(filter.dimension));
}

QString DerivedDimensions::valueOf(const QString &dimension, const QString &text, AudienceBuilder &audience)
{
    if (dimension == kClient)
        return ClientClassifier::nameOf(ClientClassifier::classify(text.toStdString()));
    const NetworkInfo info = text.isEmpty() ? NetworkInfo() : audience.networkOf(text);
    if (dimension == kCountry)
        return info.country.isEmpty() ? kUnknown : info.country;
    if (dimension == kAsn)
        return QString::number(info.asn);
    return QString();
}

bool DerivedDimensions::resolveAll(QList<DimensionFilter> &filters, AudienceBuilder &audience,
                                   const DistinctValues &distinctValues, QString *error)
{
    // One read of each source column, however many filters derive from it.
    QHash<QString, std::vector<std::pair<qint64, QString>>> distinct;
    for (DimensionFilter &filter : filters) {
        if (!filter.isDerived())
            continue;
        if (!normalise(filter, error))
            return false;
        if (filter.dimension != kClient && !audience.geoAvailable())
            return fail(error, QStringLiteral("cannot filter by %1 without a geo database: %2")
                                   .arg(filter.dimension == kCountry ? QStringLiteral("country")
                                                                     : QStringLiteral("network"),
                                        audience.geoSource()));
        const QString column = sourceColumn(filter.dimension);
        if (!distinct.contains(column)) {
            std::vector<std::pair<qint64, QString>> values;
            if (!distinctValues(column, values, error))
                return false;
            distinct.insert(column, std::move(values));
        }
        auto resolution = std::make_shared<DerivedResolution>();
        resolution->column = column;
        resolution->nullHasValue = valueOf(filter.dimension, QString(), audience) == filter.value;
        std::vector<qint64> with, without;
        resolution->maxKnownId = 0;
        for (const auto &[id, text] : distinct[column]) {
            (valueOf(filter.dimension, text, audience) == filter.value ? with : without).push_back(id);
            resolution->maxKnownId = std::max(resolution->maxKnownId, id);
        }
        resolution->idsLackValue = without.size() < with.size();
        resolution->ids = std::move(resolution->idsLackValue ? without : with);
        std::sort(resolution->ids.begin(), resolution->ids.end());
        filter.resolution = std::move(resolution);
    }
    return true;
}

} // namespace BucketScope
