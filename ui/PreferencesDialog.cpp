// SPDX-License-Identifier: GPL-3.0-or-later
#include "PreferencesDialog.h"

#include "AttributionRulesPage.h"
#include "EgressTierEditor.h"
#include "PlainLabel.h"
#include "StoragePage.h"
#include "aggregation/ZoneCalendar.h"
#include "geo/GeoDatabase.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QVBoxLayout>

namespace BucketScope {

namespace {

constexpr double kMaxAmount = 1e12;

} // namespace

QString PreferencesDialog::pricingFileSetting()
{
    return QStringLiteral("cost/pricingFile");
}

QString PreferencesDialog::rulesFileSetting()
{
    return QStringLiteral("alerts/rulesFile");
}

QString PreferencesDialog::geoEnabledSetting()
{
    return QStringLiteral("geo/enabled");
}

QString PreferencesDialog::geoDatabasesSetting()
{
    return QStringLiteral("geo/databases");
}

bool PreferencesDialog::savedGeoEnabled()
{
    return QSettings().value(geoEnabledSetting(), true).toBool();
}

QStringList PreferencesDialog::savedGeoDatabases()
{
    return QSettings().value(geoDatabasesSetting()).toStringList();
}

QWidget *PreferencesDialog::createGeoTab()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    m_geoEnabled = new QCheckBox(tr("Look up the country and network of every client address"), page);
    m_geoEnabled->setChecked(savedGeoEnabled());
    layout->addWidget(m_geoEnabled);
    auto *files = new QHBoxLayout;
    m_geoFiles = new QLineEdit(page);
    m_geoFiles->setPlaceholderText(tr("The libloc-database package's file (default)"));
    m_geoFiles->setToolTip(tr("A libloc database, or MaxMind/DB-IP .mmdb files (a country file and an ASN "
                              "file), separated by \"%1\"")
                               .arg(QDir::listSeparator()));
    m_geoFiles->setText(savedGeoDatabases().join(QDir::listSeparator()));
    files->addWidget(m_geoFiles);
    auto *choose = new QPushButton(tr("Choose…"), page);
    connect(choose, &QPushButton::clicked, this, [this] {
        const QStringList chosen = QFileDialog::getOpenFileNames(
            this, tr("Geo databases"), QString(), tr("Geo databases (*.mmdb *.db);;All files (*)"));
        if (!chosen.isEmpty())
            m_geoFiles->setText(chosen.join(QDir::listSeparator()));
    });
    files->addWidget(choose);
    auto *useDefault = new QPushButton(tr("Use Default"), page);
    connect(useDefault, &QPushButton::clicked, m_geoFiles, &QLineEdit::clear);
    files->addWidget(useDefault);
    layout->addLayout(files);
    m_geoStatus = plainLabel(QString(), page);
    m_geoStatus->setObjectName(QStringLiteral("geoStatus"));
    m_geoStatus->setWordWrap(true);
    layout->addWidget(m_geoStatus);
    layout->addStretch();
    connect(m_geoEnabled, &QCheckBox::toggled, this, &PreferencesDialog::updateGeoStatus);
    connect(m_geoFiles, &QLineEdit::textChanged, this, &PreferencesDialog::updateGeoStatus);
    updateGeoStatus();
    return page;
}

QStringList PreferencesDialog::geoFiles() const
{
    QStringList files;
    for (const QString &file : m_geoFiles->text().split(QDir::listSeparator(), Qt::SkipEmptyParts))
        if (!file.trimmed().isEmpty())
            files << file.trimmed();
    return files;
}

void PreferencesDialog::updateGeoStatus()
{
    // Opening a database maps the file and reads its header: milliseconds, fine on the GUI thread.
    if (!m_geoEnabled->isChecked()) {
        m_geoStatus->setText(tr("Countries, networks and CDN pulls are not shown."));
        return;
    }
    QString error;
    const std::unique_ptr<GeoDatabase> database = GeoDatabase::open(geoFiles(), &error);
    if (!database)
        m_geoStatus->setText(tr("Not usable: %1").arg(error));
    else if (!error.isEmpty())
        m_geoStatus->setText(tr("Using %1; %2").arg(database->description(), error));
    else
        m_geoStatus->setText(tr("Using %1.").arg(database->description()));
}

QString PreferencesDialog::geoStatus() const
{
    return m_geoStatus->text();
}

QString PreferencesDialog::attributionFileSetting()
{
    return QStringLiteral("attribution/rulesFile");
}

Attribution PreferencesDialog::savedAttribution(QString *error)
{
    Attribution attribution = Attribution::defaults();
    const QString file = QSettings().value(attributionFileSetting()).toString();
    if (!file.isEmpty() && QFileInfo::exists(file) && !Attribution::load(file, attribution, error))
        return Attribution::defaults();
    return attribution;
}

PreferencesDialog::PreferencesDialog(QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Preferences"));
    const QSettings settings;
    QStringList problems;
    QString error;
    m_loadedPricing = PricingProfile::ovh();
    const QString pricingFile = settings.value(pricingFileSetting()).toString();
    if (!pricingFile.isEmpty() && QFileInfo::exists(pricingFile) &&
        !PricingProfile::load(pricingFile, m_loadedPricing, &error)) {
        m_loadedPricing = PricingProfile::ovh();
        problems << error;
    }
    m_loadedRules = AlertRules::defaults();
    const QString rulesFile = settings.value(rulesFileSetting()).toString();
    if (!rulesFile.isEmpty() && QFileInfo::exists(rulesFile) &&
        !AlertRules::load(rulesFile, m_loadedRules, &error)) {
        m_loadedRules = AlertRules::defaults();
        problems << error;
    }

    QString attributionError;
    const Attribution attribution = savedAttribution(&attributionError);
    if (!attributionError.isEmpty())
        problems << attributionError;

    auto *tabs = new QTabWidget(this);
    tabs->addTab(createCostTab(m_loadedPricing), tr("Cost"));
    tabs->addTab(createAlertsTab(), tr("Alerts"));
    m_applications = new AttributionRulesPage(attribution, tabs);
    tabs->addTab(m_applications, tr("Applications"));
    tabs->addTab(createGeoTab(), tr("Geo"));
    m_storage = new StoragePage(tabs);
    tabs->addTab(m_storage, tr("Storage"));
    tabs->addTab(createTimeZoneTab(), tr("Time Zone"));
    m_error = plainLabel(QString(), this);
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    if (!problems.isEmpty())
        m_error->setText(tr("Showing the defaults instead of:\n%1").arg(problems.join(QLatin1Char('\n'))));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &PreferencesDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &PreferencesDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(tabs);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
}

QDoubleSpinBox *PreferencesDialog::createPriceBox(double value, QWidget *parent) const
{
    auto *box = new QDoubleSpinBox(parent);
    box->setDecimals(6);
    box->setRange(0, kMaxAmount);
    box->setPrefix(tr("$ "));
    box->setValue(value);
    return box;
}

QWidget *PreferencesDialog::createCostTab(const PricingProfile &loaded)
{
    auto *tab = new QWidget(this);
    auto *layout = new QVBoxLayout(tab);
    auto *kindForm = new QFormLayout;
    m_kind = new QComboBox(tab);
    m_kind->addItem(tr("OVHcloud"), int(PricingProfile::Kind::Ovh));
    m_kind->addItem(tr("AWS S3 Standard"), int(PricingProfile::Kind::AwsS3Standard));
    m_kind->addItem(tr("Custom"), int(PricingProfile::Kind::Custom));
    kindForm->addRow(tr("Profile:"), m_kind);
    layout->addLayout(kindForm);

    m_kindPages = new QStackedWidget(tab);
    const double loadedPrice = loaded.firstPaidUsdPerGiB();

    auto *ovhPage = new QWidget(m_kindPages);
    auto *ovhForm = new QFormLayout(ovhPage);
    m_ovhEgress = createPriceBox(
        loaded.kind == PricingProfile::Kind::Ovh ? loadedPrice : PricingProfile::ovh().firstPaidUsdPerGiB(),
        ovhPage);
    m_ovhEgress->setSuffix(tr(" per GiB"));
    ovhForm->addRow(tr("Egress:"), m_ovhEgress);
    ovhForm->addRow(plainLabel(tr("Requests are free."), ovhPage));
    m_kindPages->addWidget(ovhPage);

    // The AWS prices are AWS's; the file can override them, but the dialog only shows them.
    const PricingProfile aws =
        loaded.kind == PricingProfile::Kind::AwsS3Standard ? loaded : PricingProfile::awsS3Standard();
    QStringList tiers;
    double from = 0;
    for (const PricingProfile::EgressTier &tier : aws.egressTiers) {
        tiers << (tier.upToGiB ? tr("%1 to %2 GiB of the month: $%3 per GiB")
                                     .arg(from)
                                     .arg(*tier.upToGiB)
                                     .arg(tier.usdPerGiB)
                               : tr("above %1 GiB: $%2 per GiB").arg(from).arg(tier.usdPerGiB));
        from = tier.upToGiB.value_or(from);
    }
    tiers << tr("GET class: $%1 per 1,000 requests; PUT/COPY/POST/LIST class: $%2 per 1,000")
                 .arg(aws.getClassUsdPer1000)
                 .arg(aws.putClassUsdPer1000);
    tiers << tr("Source: S3 Standard in us-east-1, data transfer out to the internet, as listed at "
                "https://aws.amazon.com/s3/pricing/ in 2025.");
    auto *awsLabel = plainLabel(tiers.join(QLatin1Char('\n')), m_kindPages);
    awsLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_kindPages->addWidget(awsLabel);

    auto *customPage = new QWidget(m_kindPages);
    auto *customForm = new QFormLayout(customPage);
    const bool custom = loaded.kind == PricingProfile::Kind::Custom;
    m_customTiers = new EgressTierEditor(customPage);
    if (custom)
        m_customTiers->setTiers(loaded.egressTiers);
    m_customGet = createPriceBox(custom ? loaded.getClassUsdPer1000 : 0, customPage);
    m_customGet->setSuffix(tr(" per 1,000"));
    m_customPut = createPriceBox(custom ? loaded.putClassUsdPer1000 : 0, customPage);
    m_customPut->setSuffix(tr(" per 1,000"));
    customForm->addRow(tr("Egress:"), m_customTiers);
    customForm->addRow(tr("GET-class requests:"), m_customGet);
    customForm->addRow(tr("PUT-class requests:"), m_customPut);
    m_kindPages->addWidget(customPage);
    layout->addWidget(m_kindPages);

    connect(m_kind, &QComboBox::currentIndexChanged, m_kindPages, &QStackedWidget::setCurrentIndex);
    m_kind->setCurrentIndex(m_kind->findData(int(loaded.kind)));
    m_kindPages->setCurrentIndex(m_kind->currentIndex());

    auto *budgetRow = new QHBoxLayout;
    m_hasBudget = new QCheckBox(tr("Monthly budget:"), tab);
    m_budget = createPriceBox(loaded.monthlyBudgetUsd.value_or(0), tab);
    m_hasBudget->setChecked(loaded.monthlyBudgetUsd.has_value());
    m_budget->setEnabled(m_hasBudget->isChecked());
    connect(m_hasBudget, &QCheckBox::toggled, m_budget, &QWidget::setEnabled);
    budgetRow->addWidget(m_hasBudget);
    budgetRow->addWidget(m_budget, 1);
    layout->addLayout(budgetRow);
    layout->addWidget(plainLabel(tr("Bytes sent are billed as egress."), tab));
    layout->addStretch();
    return tab;
}

QString PreferencesDialog::ruleTitle(const AlertRules::Rule &rule) const
{
    switch (rule.type) {
    case AlertRules::Type::DailyBandwidth:
        return tr("Bytes sent in a day");
    case AlertRules::Type::ErrorRate:
        return tr("Error rate (4xx and 5xx)");
    case AlertRules::Type::P95Latency:
        return tr("95th percentile of total time");
    case AlertRules::Type::UniqueIpSpike:
        return tr("Unique IPs against the trailing average");
    case AlertRules::Type::IpDistinctKeysPerHour:
        return tr("Distinct keys one IP fetches in an hour");
    case AlertRules::Type::IpBandwidthShare:
        return tr("One IP's share of the day's bytes sent");
    case AlertRules::Type::IpProbingPerMinute:
        return tr("403/404 responses to one IP in a minute (probing)");
    case AlertRules::Type::MonthlyCostProjection:
        break;
    }
    return tr("Projected month-end cost");
}

QWidget *PreferencesDialog::createAlertsTab()
{
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    auto *tab = new QWidget(scroll);
    auto *grid = new QGridLayout(tab);
    grid->addWidget(plainLabel(tr("A rule fires when the measured value is above its threshold. "
                                  "An application scope limits a rule to that application's requests "
                                  "(empty: all requests)."),
                               tab),
                    0, 0, 1, 3);
    grid->addWidget(plainLabel(tr("Rule"), tab), 1, 0);
    grid->addWidget(plainLabel(tr("Threshold"), tab), 1, 1);
    grid->addWidget(plainLabel(tr("Application"), tab), 1, 2);
    int row = 2;
    for (const AlertRules::Rule &rule : m_loadedRules.rules()) {
        auto *title = plainLabel(ruleTitle(rule), tab);
        title->setToolTip(AlertRules::typeName(rule.type));
        RuleRow ruleRow;
        ruleRow.threshold = new QDoubleSpinBox(tab);
        ruleRow.threshold->setDecimals(3);
        ruleRow.threshold->setRange(0, kMaxAmount);
        const QString unit = AlertRules::unitOf(rule.type);
        if (rule.type == AlertRules::Type::UniqueIpSpike)
            ruleRow.threshold->setSuffix(tr(" × the average"));
        else if (rule.type == AlertRules::Type::MonthlyCostProjection)
            ruleRow.threshold->setPrefix(tr("$ "));
        else
            ruleRow.threshold->setSuffix(QLatin1Char(' ') + unit);
        // Without a threshold the cost rule follows the profile's budget; 0 stands for that.
        if (rule.type == AlertRules::Type::MonthlyCostProjection)
            ruleRow.threshold->setSpecialValueText(tr("the monthly budget"));
        ruleRow.threshold->setValue(
            rule.threshold.value_or(AlertRules::defaultThreshold(rule.type).value_or(0)));
        ruleRow.application = new QLineEdit(rule.application, tab);
        ruleRow.application->setPlaceholderText(tr("all"));
        if (AlertRules::isPerIp(rule.type))
            ruleRow.application->setToolTip(
                tr("Only the requests of this application; a bandwidth share is of its own bytes."));
        grid->addWidget(title, row, 0);
        grid->addWidget(ruleRow.threshold, row, 1);
        grid->addWidget(ruleRow.application, row, 2);
        m_ruleRows.append(ruleRow);
        ++row;
    }
    grid->setRowStretch(row, 1);
    scroll->setWidget(tab);
    return scroll;
}

PricingProfile PreferencesDialog::pricing() const
{
    const auto kind = PricingProfile::Kind(m_kind->currentData().toInt());
    PricingProfile profile;
    switch (kind) {
    case PricingProfile::Kind::Ovh:
        profile = PricingProfile::ovh(m_ovhEgress->value());
        break;
    case PricingProfile::Kind::AwsS3Standard:
        profile = m_loadedPricing.kind == kind ? m_loadedPricing : PricingProfile::awsS3Standard();
        break;
    case PricingProfile::Kind::Custom:
        profile.kind = kind;
        profile.name = m_loadedPricing.kind == kind ? m_loadedPricing.name : QStringLiteral("custom");
        profile.egressTiers = m_customTiers->tiers();
        profile.getClassUsdPer1000 = m_customGet->value();
        profile.putClassUsdPer1000 = m_customPut->value();
        break;
    }
    profile.monthlyBudgetUsd = m_hasBudget->isChecked() ? std::optional(m_budget->value()) : std::nullopt;
    return profile;
}

AlertRules PreferencesDialog::rules() const
{
    AlertRules rules = m_loadedRules;
    for (qsizetype i = 0; i < m_ruleRows.size(); ++i) {
        AlertRules::Rule &rule = rules.rules()[i];
        const double value = m_ruleRows.at(i).threshold->value();
        const bool followsBudget = rule.type == AlertRules::Type::MonthlyCostProjection && value == 0;
        rule.threshold = followsBudget ? std::nullopt : std::optional(value);
        rule.application = m_ruleRows.at(i).application->text().trimmed();
    }
    return rules;
}

Attribution PreferencesDialog::attribution() const
{
    return m_applications->attribution();
}

QString PreferencesDialog::errorText() const
{
    return m_error->text();
}

QWidget *PreferencesDialog::createTimeZoneTab()
{
    auto *page = new QWidget(this);
    auto *form = new QFormLayout(page);
    m_timeZone = new QComboBox(page);
    m_timeZone->addItem(tr("UTC"), QStringLiteral("UTC"));
    //: %1 is the system's time zone, e.g. Europe/Paris
    m_timeZone->addItem(tr("Local time (%1)").arg(QString::fromUtf8(QTimeZone::systemTimeZoneId())),
                        QStringLiteral("local"));
    const QString saved = QSettings().value(ZoneCalendar::settingKey()).toString();
    m_timeZone->setCurrentIndex(
        saved.isEmpty() || saved.compare(QLatin1String("UTC"), Qt::CaseInsensitive) == 0 ? 0 : 1);
    form->addRow(tr("Show times in:"), m_timeZone);
    form->addRow(plainLabel(tr("Days and hours of the charts, the table's times and the days alerts judge "
                               "follow this zone, daylight saving time included. The command line uses it "
                               "too unless given --time-zone."),
                            page));
    return page;
}

QString PreferencesDialog::targetPath(const QString &setting, const QString &fileName)
{
    const QString named = QSettings().value(setting).toString();
    if (!named.isEmpty())
        return named;
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation)).filePath(fileName);
}

bool PreferencesDialog::save(QString *error)
{
    const auto fail = [error](const QString &message) {
        *error = message;
        return false;
    };
    // A spin box keeps its last good value while its text is not a number; refuse rather than save
    // a value the user no longer sees.
    QList<std::pair<QDoubleSpinBox *, QString>> prices;
    const auto kind = PricingProfile::Kind(m_kind->currentData().toInt());
    if (kind == PricingProfile::Kind::Ovh)
        prices << std::pair{m_ovhEgress, tr("OVHcloud egress price")};
    if (kind == PricingProfile::Kind::Custom)
        prices << std::pair{m_customGet, tr("Custom GET-class price")}
               << std::pair{m_customPut, tr("Custom PUT-class price")};
    if (m_hasBudget->isChecked())
        prices << std::pair{m_budget, tr("Monthly budget")};
    for (const auto &[box, name] : prices) {
        if (!box->hasAcceptableInput())
            return fail(tr("%1: '%2' is not an amount of at least 0.").arg(name, box->text()));
    }
    QString tierProblem;
    if (kind == PricingProfile::Kind::Custom && !m_customTiers->check(&tierProblem))
        return fail(tierProblem);
    for (qsizetype i = 0; i < m_ruleRows.size(); ++i) {
        const AlertRules::Rule &rule = m_loadedRules.rules().at(i);
        const RuleRow &row = m_ruleRows.at(i);
        if (!row.threshold->hasAcceptableInput())
            return fail(tr("%1: the threshold '%2' is not a number of at least 0.")
                            .arg(ruleTitle(rule), row.threshold->text()));
        const QString application = row.application->text().trimmed();
        if (application.contains(QLatin1Char('\n')) || application.contains(QLatin1Char('\r')))
            return fail(tr("%1: the application name must be one line.").arg(ruleTitle(rule)));
    }
    if (const QString problem = m_applications->problem(); !problem.isEmpty())
        return fail(tr("Applications: %1").arg(problem));
    if (const QString problem = m_storage->problem(); !problem.isEmpty())
        return fail(problem);
    // Every file is checked by its own reader before any is written, so a refused value never leaves
    // one file changed and another not.
    const PricingProfile profile = pricing();
    const AlertRules alertRules = rules();
    const Attribution attributionRules = attribution();
    QString reason;
    PricingProfile reread;
    if (!PricingProfile::fromJson(profile.toJson(), reread, &reason))
        return fail(tr("The pricing profile is not valid: %1").arg(reason));
    AlertRules rereadRules;
    if (!AlertRules::fromJson(alertRules.toJson(), rereadRules, &reason))
        return fail(tr("The alert rules are not valid: %1").arg(reason));
    Attribution rereadAttribution;
    if (!Attribution::fromJson(attributionRules.toJson(), rereadAttribution, &reason))
        return fail(tr("The attribution rules are not valid: %1").arg(reason));

    const QString pricingPath = targetPath(pricingFileSetting(), QStringLiteral("pricing.json"));
    const QString rulesPath = targetPath(rulesFileSetting(), QStringLiteral("alert-rules.json"));
    const QString attributionPath = targetPath(attributionFileSetting(), QStringLiteral("attribution.json"));
    for (const QString &path : {pricingPath, rulesPath, attributionPath}) {
        if (!QDir().mkpath(QFileInfo(path).absolutePath()))
            return fail(tr("Cannot create the folder %1.").arg(QFileInfo(path).absolutePath()));
    }
    if (!profile.save(pricingPath, &reason) || !alertRules.save(rulesPath, &reason) ||
        !attributionRules.save(attributionPath, &reason))
        return fail(reason);
    QSettings settings;
    settings.setValue(pricingFileSetting(), pricingPath);
    settings.setValue(rulesFileSetting(), rulesPath);
    settings.setValue(attributionFileSetting(), attributionPath);
    settings.setValue(geoEnabledSetting(), m_geoEnabled->isChecked());
    settings.setValue(geoDatabasesSetting(), geoFiles());
    m_storage->save();
    // A saved IANA name other than the two choices is kept unless the choice changed.
    const QString savedZone = settings.value(ZoneCalendar::settingKey()).toString();
    const bool savedIsUtc =
        savedZone.isEmpty() || savedZone.compare(QLatin1String("UTC"), Qt::CaseInsensitive) == 0;
    if (savedIsUtc != (m_timeZone->currentData().toString() == QLatin1String("UTC")))
        settings.setValue(ZoneCalendar::settingKey(), m_timeZone->currentData().toString());
    return true;
}

void PreferencesDialog::accept()
{
    QString error;
    if (!save(&error)) {
        m_error->setText(error);
        return;
    }
    QDialog::accept();
}

} // namespace BucketScope
