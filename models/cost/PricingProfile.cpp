// SPDX-License-Identifier: GPL-3.0-or-later
#include "PricingProfile.h"

#include "util/JsonFile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <cmath>
#include <limits>

namespace BucketScope {

namespace {

constexpr double kBytesPerGiB = 1073741824.0;

qint64 bytesOf(double gib)
{
    const double bytes = std::round(gib * kBytesPerGiB);
    return bytes >= double(std::numeric_limits<qint64>::max()) ? std::numeric_limits<qint64>::max()
                                                               : qint64(bytes);
}

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

// A price or size: a finite number, not negative.
bool readAmount(const QJsonValue &value, const QString &field, double &out, QString *error)
{
    if (!value.isDouble() || !std::isfinite(value.toDouble()) || value.toDouble() < 0)
        return fail(error, QStringLiteral("%1 must be a number of at least 0").arg(field));
    out = value.toDouble();
    return true;
}

bool readTiers(const QJsonValue &value, QList<PricingProfile::EgressTier> &tiers, QString *error)
{
    if (!value.isArray() || value.toArray().isEmpty())
        return fail(error, QStringLiteral("egress_tiers must be a non-empty list of tiers"));
    tiers.clear();
    const QJsonArray array = value.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QString where = QStringLiteral("egress_tiers[%1]").arg(i);
        if (!array.at(i).isObject())
            return fail(error, where + QStringLiteral(" must be an object {up_to_gib, usd_per_gib}"));
        const QJsonObject tier = array.at(i).toObject();
        for (const QString &key : tier.keys()) {
            if (key != QLatin1String("up_to_gib") && key != QLatin1String("usd_per_gib"))
                return fail(error, where + QStringLiteral(": unknown field '%1'").arg(key));
        }
        PricingProfile::EgressTier parsed;
        if (!readAmount(tier.value(QStringLiteral("usd_per_gib")), where + QStringLiteral(".usd_per_gib"),
                        parsed.usdPerGiB, error))
            return false;
        const bool last = i == array.size() - 1;
        if (tier.contains(QStringLiteral("up_to_gib"))) {
            if (last)
                return fail(error, where + QStringLiteral(": the last tier has no up_to_gib (it prices "
                                                          "everything above the previous tier)"));
            double upTo = 0;
            if (!readAmount(tier.value(QStringLiteral("up_to_gib")), where + QStringLiteral(".up_to_gib"),
                            upTo, error))
                return false;
            const double previous = tiers.isEmpty() ? 0.0 : *tiers.last().upToGiB;
            if (upTo <= previous)
                return fail(error,
                            where + QStringLiteral(": up_to_gib %1 is not above the previous tier's %2")
                                        .arg(upTo)
                                        .arg(previous));
            parsed.upToGiB = upTo;
        } else if (!last) {
            return fail(error, where + QStringLiteral(": only the last tier may leave out up_to_gib"));
        }
        tiers.append(parsed);
    }
    return true;
}

} // namespace

PricingProfile PricingProfile::ovh(double usdPerGiB)
{
    PricingProfile profile;
    profile.kind = Kind::Ovh;
    profile.name = QStringLiteral("OVHcloud");
    profile.egressTiers = {EgressTier{std::nullopt, usdPerGiB}};
    return profile;
}

PricingProfile PricingProfile::awsS3Standard()
{
    // https://aws.amazon.com/s3/pricing/ (us-east-1, S3 Standard, as listed in 2025):
    // data transfer out to the internet: first 10 TB/month $0.09 per GB, next 40 TB $0.085, next
    // 100 TB $0.07, over 150 TB $0.05; AWS's 100 GB/month free transfer out is modelled as the first
    // 100 GiB of the month at $0 (taken out of the first tier). Requests: PUT, COPY, POST, LIST $0.005
    // per 1,000; GET, SELECT and all other requests $0.0004 per 1,000; DELETE and CANCEL free.
    PricingProfile profile;
    profile.kind = Kind::AwsS3Standard;
    profile.name = QStringLiteral("AWS S3 Standard (us-east-1)");
    profile.egressTiers = {EgressTier{100.0, 0.0}, EgressTier{10.0 * 1024, 0.09},
                           EgressTier{50.0 * 1024, 0.085}, EgressTier{150.0 * 1024, 0.07},
                           EgressTier{std::nullopt, 0.05}};
    profile.getClassUsdPer1000 = 0.0004;
    profile.putClassUsdPer1000 = 0.005;
    return profile;
}

QString PricingProfile::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Ovh:
        return QStringLiteral("ovh");
    case Kind::AwsS3Standard:
        return QStringLiteral("aws-s3-standard");
    case Kind::Custom:
        break;
    }
    return QStringLiteral("custom");
}

std::optional<PricingProfile::Kind> PricingProfile::kindFromName(const QString &name)
{
    for (Kind kind : {Kind::Ovh, Kind::AwsS3Standard, Kind::Custom}) {
        if (kindName(kind) == name)
            return kind;
    }
    return std::nullopt;
}

bool PricingProfile::fromJson(const QByteArray &json, PricingProfile &profile, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(error, QStringLiteral("not valid JSON at offset %1: %2")
                               .arg(parseError.offset)
                               .arg(parseError.errorString()));
    if (!document.isObject())
        return fail(error, QStringLiteral("a pricing profile is a JSON object"));
    const QJsonObject object = document.object();
    static const QSet<QString> known{QStringLiteral("kind"),
                                     QStringLiteral("name"),
                                     QStringLiteral("egress_tiers"),
                                     QStringLiteral("get_class_usd_per_1000"),
                                     QStringLiteral("put_class_usd_per_1000"),
                                     QStringLiteral("monthly_budget_usd")};
    for (const QString &key : object.keys()) {
        if (!known.contains(key))
            return fail(error, QStringLiteral("unknown field '%1'").arg(key));
    }
    const std::optional<Kind> kind = kindFromName(object.value(QStringLiteral("kind")).toString());
    if (!kind)
        return fail(error, QStringLiteral("kind must be one of ovh, aws-s3-standard, custom"));

    PricingProfile parsed = *kind == Kind::Ovh             ? ovh()
                            : *kind == Kind::AwsS3Standard ? awsS3Standard()
                                                           : PricingProfile{};
    parsed.kind = *kind;
    if (*kind == Kind::Custom) {
        parsed.name = QStringLiteral("custom");
        if (!object.contains(QStringLiteral("egress_tiers")))
            return fail(error, QStringLiteral("a custom profile needs egress_tiers"));
    }
    if (object.contains(QStringLiteral("name"))) {
        if (!object.value(QStringLiteral("name")).isString() ||
            object.value(QStringLiteral("name")).toString().trimmed().isEmpty())
            return fail(error, QStringLiteral("name must be a non-empty string"));
        parsed.name = object.value(QStringLiteral("name")).toString();
    }
    if (object.contains(QStringLiteral("egress_tiers")) &&
        !readTiers(object.value(QStringLiteral("egress_tiers")), parsed.egressTiers, error))
        return false;
    for (auto [field, target] :
         {std::pair{QStringLiteral("get_class_usd_per_1000"), &parsed.getClassUsdPer1000},
          std::pair{QStringLiteral("put_class_usd_per_1000"), &parsed.putClassUsdPer1000}}) {
        if (object.contains(field) && !readAmount(object.value(field), field, *target, error))
            return false;
    }
    if (object.contains(QStringLiteral("monthly_budget_usd"))) {
        double budget = 0;
        if (!readAmount(object.value(QStringLiteral("monthly_budget_usd")),
                        QStringLiteral("monthly_budget_usd"), budget, error))
            return false;
        parsed.monthlyBudgetUsd = budget;
    }
    profile = parsed;
    return true;
}

QByteArray PricingProfile::toJson() const
{
    QJsonArray tiers;
    for (const EgressTier &tier : egressTiers) {
        QJsonObject object{{QStringLiteral("usd_per_gib"), tier.usdPerGiB}};
        if (tier.upToGiB)
            object.insert(QStringLiteral("up_to_gib"), *tier.upToGiB);
        tiers.append(object);
    }
    QJsonObject object{{QStringLiteral("kind"), kindName(kind)},
                       {QStringLiteral("name"), name},
                       {QStringLiteral("egress_tiers"), tiers},
                       {QStringLiteral("get_class_usd_per_1000"), getClassUsdPer1000},
                       {QStringLiteral("put_class_usd_per_1000"), putClassUsdPer1000}};
    if (monthlyBudgetUsd)
        object.insert(QStringLiteral("monthly_budget_usd"), *monthlyBudgetUsd);
    return QJsonDocument(object).toJson(QJsonDocument::Indented);
}

bool PricingProfile::load(const QString &path, PricingProfile &profile, QString *error)
{
    return JsonFile::load(path, profile, error);
}

bool PricingProfile::save(const QString &path, QString *error) const
{
    return JsonFile::write(path, toJson(), error);
}

double PricingProfile::egressCost(qint64 monthBytesBefore, qint64 bytes) const
{
    const qint64 end = monthBytesBefore + bytes;
    double cost = 0;
    qint64 lower = 0;
    for (const EgressTier &tier : egressTiers) {
        const qint64 upper = tier.upToGiB ? bytesOf(*tier.upToGiB) : std::numeric_limits<qint64>::max();
        // Whole bytes per tier: with a single tier this is exactly bytes / 2^30 * price.
        const qint64 from = std::max(monthBytesBefore, lower);
        const qint64 to = std::min(end, upper);
        if (to > from)
            cost += double(to - from) / kBytesPerGiB * tier.usdPerGiB;
        lower = upper;
    }
    return cost;
}

double PricingProfile::requestCost(qint64 getClassRequests, qint64 putClassRequests) const
{
    return double(getClassRequests) / 1000.0 * getClassUsdPer1000 +
           double(putClassRequests) / 1000.0 * putClassUsdPer1000;
}

double PricingProfile::firstPaidUsdPerGiB() const
{
    for (const EgressTier &tier : egressTiers) {
        if (tier.usdPerGiB > 0)
            return tier.usdPerGiB;
    }
    return 0;
}

} // namespace BucketScope
