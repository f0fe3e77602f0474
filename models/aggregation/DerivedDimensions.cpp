// SPDX-License-Identifier: GPL-3.0-or-later
#include "DerivedDimensions.h"

#include "Attribution.h"
#include "AudienceBuilder.h"
#include "clients/ClientClassifier.h"

#include <QHash>

#include <algorithm>

namespace BucketScope {

namespace {

const QString kCountry = QStringLiteral("country");
const QString kAsn = QStringLiteral("asn");
const QString kClient = QStringLiteral("client");
const QString kApplication = QStringLiteral("application");
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
    return dimension == kCountry || dimension == kAsn || dimension == kClient || dimension == kApplication;
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
    if (filter.dimension == kApplication) {
        // Not trimmed: a rule may name an application with spaces at either end, and the filter must
        // find the name the summary lists.
        if (value.isEmpty())
            return fail(error, QStringLiteral("an application filter needs the application's name (as the "
                                              "summary's applications list names it, or 'unattributed')"));
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

QString DerivedDimensions::attributionColumn(int field)
{
    switch (Attribution::Field(field)) {
    case Attribution::Field::Key:
        return QStringLiteral("object_key_ref");
    case Attribution::Field::Referer:
        return QStringLiteral("referer_ref");
    case Attribution::Field::Requester:
        return QStringLiteral("requester_ref");
    case Attribution::Field::UserAgent:
        return QStringLiteral("user_agent_ref");
    }
    return QString();
}

namespace {

// A request belongs to `application` when the earliest rule that matches any of its fields names it
// (Attribution::match), or, for "unattributed", when no rule matches. Per field, every distinct id is
// matched once; then for each rule r naming the application on some ids of its field f:
//     f's id is among those  AND  no other field's id is matched by a rule before r
// and the application is any of these alternatives. A NULL field never matches (the scan's rule too).
bool resolveApplication(DimensionFilter &filter, const Attribution &attribution,
                        const DerivedDimensions::DistinctValues &distinctValues, QString *error)
{
    struct FieldMatches
    {
        QString column;
        std::vector<qint64> known;                                  // sorted, distinct
        std::vector<std::pair<qint64, Attribution::Match>> matched; // ids some rule matches
    };
    std::vector<FieldMatches> fields;
    // Ids added after this resolution (an ingest still running) are judged by the next one: until
    // then a row with one in any field the rules look at belongs to no application, rather than
    // perhaps the wrong one.
    std::vector<DerivedResolution::Term> allKnown;
    for (int field = 0; field < Attribution::kFieldCount; ++field) {
        if (!attribution.looksAt(Attribution::Field(field)))
            continue;
        FieldMatches matches;
        matches.column = DerivedDimensions::attributionColumn(field);
        std::vector<std::pair<qint64, QString>> values;
        if (!distinctValues(matches.column, values, error))
            return false;
        matches.known.reserve(values.size());
        for (const auto &[id, text] : values) {
            matches.known.push_back(id);
            const std::string utf8 = text.toStdString();
            Attribution::Match match = attribution.match(Attribution::Field(field), utf8);
            if (match.rule != Attribution::Match::kNone)
                matches.matched.emplace_back(id, std::move(match));
        }
        // Sorted once here: every membership of this field is made against it.
        std::sort(matches.known.begin(), matches.known.end());
        matches.known.erase(std::unique(matches.known.begin(), matches.known.end()), matches.known.end());
        IdMembership known;
        known.column = matches.column;
        known.idsLackValue = true; // no id lacks it: every judged id and NULL are "known"
        known.nullHasValue = true;
        known.maxKnownId = matches.known.empty() ? 0 : matches.known.back();
        allKnown.push_back(DerivedResolution::Term{std::move(known), false});
        fields.push_back(std::move(matches));
    }
    const std::string wanted = filter.value.toStdString();
    const bool unattributed = wanted == Attribution::kUnattributed;
    auto resolution = std::make_shared<DerivedResolution>();
    resolution->multiColumn = true;
    // The ids of field `other` matched by a rule before `rule` must not be the request's: a negated
    // term, left out when no id is (it would always hold).
    auto addNotMatchedBefore = [](std::vector<DerivedResolution::Term> &terms, const FieldMatches &other,
                                  int rule) {
        std::vector<qint64> earlier;
        for (const auto &[id, match] : other.matched)
            if (match.rule < rule)
                earlier.push_back(id);
        if (!earlier.empty())
            terms.push_back(DerivedResolution::Term{
                IdMembership::of(other.column, std::move(earlier), other.known), true});
    };
    for (qsizetype rule = 0; rule < attribution.rules().size(); ++rule) {
        const int field = int(Attribution::fieldOf(attribution.rules().at(rule).kind));
        const auto own = std::find_if(fields.begin(), fields.end(), [&](const FieldMatches &matches) {
            return matches.column == DerivedDimensions::attributionColumn(field);
        });
        std::vector<qint64> naming;
        for (const auto &[id, match] : own->matched)
            if (match.rule == rule && match.application == wanted)
                naming.push_back(id);
        if (naming.empty())
            continue;
        std::vector<DerivedResolution::Term> terms = allKnown;
        terms.push_back(
            DerivedResolution::Term{IdMembership::of(own->column, std::move(naming), own->known), false});
        for (const FieldMatches &other : fields) {
            if (&other == &*own)
                continue;
            addNotMatchedBefore(terms, other, int(rule));
        }
        resolution->anyOf.push_back(std::move(terms));
    }
    if (unattributed) {
        std::vector<DerivedResolution::Term> terms = allKnown;
        for (const FieldMatches &other : fields) {
            addNotMatchedBefore(terms, other, Attribution::Match::kNone);
        }
        resolution->anyOf.push_back(std::move(terms));
    }
    filter.resolution = std::move(resolution);
    return true;
}

} // namespace

bool DerivedDimensions::resolveAll(QList<DimensionFilter> &filters, AudienceBuilder &audience,
                                   const Attribution &attribution, const DistinctValues &distinctValues,
                                   QString *error)
{
    // One read of each source column, however many filters derive from it.
    QHash<QString, std::vector<std::pair<qint64, QString>>> distinct;
    for (DimensionFilter &filter : filters) {
        if (!filter.isDerived())
            continue;
        if (!normalise(filter, error))
            return false;
        if (filter.dimension == kApplication) {
            const DistinctValues readOnce =
                [&distinct, &distinctValues](
                    const QString &column, std::vector<std::pair<qint64, QString>> &values, QString *error) {
                    if (!distinct.contains(column)) {
                        std::vector<std::pair<qint64, QString>> read;
                        if (!distinctValues(column, read, error))
                            return false;
                        distinct.insert(column, std::move(read));
                    }
                    values = distinct.value(column);
                    return true;
                };
            if (!resolveApplication(filter, attribution, readOnce, error))
                return false;
            continue;
        }
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
