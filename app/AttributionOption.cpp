// SPDX-License-Identifier: GPL-3.0-or-later
#include "AttributionOption.h"

#include "Console.h"
#include "aggregation/Attribution.h"

#include <QCommandLineParser>

namespace BucketScope {

AttributionOption::AttributionOption(const QString &purpose)
    : m_option(QStringLiteral("attribution"),
               QStringLiteral("JSON file of application attribution rules, first match wins (default: the "
                              "seed's conventions; see docs/attribution.md)") +
                   (purpose.isEmpty() ? QString() : QLatin1Char(' ') + purpose) + QLatin1Char('.'),
               QStringLiteral("FILE"))
{
}

bool AttributionOption::read(const QCommandLineParser &parser, Attribution &attribution) const
{
    if (!parser.isSet(m_option))
        return true;
    QString error;
    if (!Attribution::load(parser.value(m_option), attribution, &error)) {
        printErr(QStringLiteral("error: ") + error);
        return false;
    }
    return true;
}

} // namespace BucketScope
