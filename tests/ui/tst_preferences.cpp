// SPDX-License-Identifier: GPL-3.0-or-later
// The Preferences dialog: what it saves is what the real readers load and what it shows next time,
// bad values are refused before anything is written, and a main window that loaded the sample log
// re-checks its alerts with the new thresholds.
#include "AlertsModel.h"
#include "AlertsPanel.h"
#include "AudienceView.h"
#include "EgressTierEditor.h"
#include "MainWindow.h"
#include "PreferencesDialog.h"
#include "session/AnalysisSession.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace BucketScope;

namespace {

using Kind = PricingProfile::Kind;
using Type = AlertRules::Type;

qsizetype rowOf(const PreferencesDialog &dialog, Type type)
{
    const QList<AlertRules::Rule> rules = dialog.rules().rules();
    for (qsizetype i = 0; i < rules.size(); ++i) {
        if (rules.at(i).type == type && rules.at(i).application.isEmpty())
            return i;
    }
    return -1;
}

void chooseKind(PreferencesDialog &dialog, Kind kind)
{
    dialog.kindBox()->setCurrentIndex(dialog.kindBox()->findData(int(kind)));
}

QString configFile(const QString &name)
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation)).filePath(name);
}

std::optional<Alert> errorRateAlert(const QList<Alert> &alerts)
{
    for (const Alert &alert : alerts) {
        if (alert.rule == QLatin1String("error_rate") && alert.application.isEmpty())
            return alert;
    }
    return std::nullopt;
}

} // namespace

class TstPreferences : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void roundTrip_data();
    void roundTrip();
    void overwritesTheFilesTheSettingsName();
    void invalidValueIsRefused_data();
    void invalidValueIsRefused();
    void customTiersAreEditedAndKept();
    void customTiersFromAFileSurviveOk();
    void windowRechecksAlerts();
    void geoDatabaseChoiceReachesTheDashboard();
};

void TstPreferences::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // settings and config files stay out of the home folder
    QCoreApplication::setOrganizationName(QStringLiteral("BucketScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_preferences"));
    QSettings().clear();
    QFile::remove(configFile(QStringLiteral("pricing.json")));
    QFile::remove(configFile(QStringLiteral("alert-rules.json")));
}

void TstPreferences::cleanup()
{
    initTestCase();
}

void TstPreferences::roundTrip_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<double>("egress");
    QTest::addColumn<double>("getPrice");
    QTest::addColumn<double>("putPrice");
    QTest::addColumn<double>("budget"); // negative: none
    QTest::newRow("ovh") << int(Kind::Ovh) << 0.02 << 0.0 << 0.0 << 30.0;
    QTest::newRow("aws, no budget") << int(Kind::AwsS3Standard) << 0.0 << 0.0 << 0.0 << -1.0;
    QTest::newRow("custom") << int(Kind::Custom) << 0.03 << 0.0005 << 0.006 << 75.5;
}

void TstPreferences::roundTrip()
{
    QFETCH(int, kind);
    QFETCH(double, egress);
    QFETCH(double, getPrice);
    QFETCH(double, putPrice);
    QFETCH(double, budget);

    PreferencesDialog dialog;
    chooseKind(dialog, Kind(kind));
    if (Kind(kind) == Kind::Ovh)
        dialog.ovhEgressBox()->setValue(egress);
    if (Kind(kind) == Kind::Custom) {
        dialog.customTiers()->priceBox(0)->setValue(egress);
        dialog.customGetBox()->setValue(getPrice);
        dialog.customPutBox()->setValue(putPrice);
    }
    dialog.budgetCheck()->setChecked(budget >= 0);
    if (budget >= 0)
        dialog.budgetBox()->setValue(budget);
    const qsizetype errorRate = rowOf(dialog, Type::ErrorRate);
    const qsizetype latency = rowOf(dialog, Type::P95Latency);
    const qsizetype cost = rowOf(dialog, Type::MonthlyCostProjection);
    const qsizetype probing = rowOf(dialog, Type::IpProbingPerMinute);
    QVERIFY(errorRate >= 0 && latency >= 0 && cost >= 0 && probing >= 0);
    QCOMPARE(dialog.thresholdBox(probing)->value(), 30.0); // the default
    QVERIFY(dialog.applicationEdit(probing)->isEnabled()); // per-IP rules can be scoped too
    dialog.thresholdBox(errorRate)->setValue(2.5);
    dialog.applicationEdit(errorRate)->setText(QStringLiteral("castingly"));
    dialog.thresholdBox(latency)->setValue(1500);
    dialog.thresholdBox(cost)->setValue(40);
    dialog.thresholdBox(probing)->setValue(12);
    dialog.accept();
    QVERIFY2(dialog.result() == QDialog::Accepted, qPrintable(dialog.errorText()));

    const QString pricingPath = QSettings().value(QStringLiteral("cost/pricingFile")).toString();
    const QString rulesPath = QSettings().value(QStringLiteral("alerts/rulesFile")).toString();
    QCOMPARE(pricingPath, configFile(QStringLiteral("pricing.json")));
    QCOMPARE(rulesPath, configFile(QStringLiteral("alert-rules.json")));

    PricingProfile profile;
    QString error;
    QVERIFY2(PricingProfile::load(pricingPath, profile, &error), qPrintable(error));
    QCOMPARE(int(profile.kind), kind);
    if (Kind(kind) == Kind::AwsS3Standard) {
        QCOMPARE(profile.egressTiers, PricingProfile::awsS3Standard().egressTiers);
        QCOMPARE(profile.getClassUsdPer1000, 0.0004);
    } else {
        QCOMPARE(profile.egressTiers.size(), 1);
        QCOMPARE(profile.egressTiers.first().usdPerGiB, egress);
        QCOMPARE(profile.getClassUsdPer1000, getPrice);
        QCOMPARE(profile.putClassUsdPer1000, putPrice);
    }
    QCOMPARE(profile.monthlyBudgetUsd.has_value(), budget >= 0);
    if (budget >= 0)
        QCOMPARE(*profile.monthlyBudgetUsd, budget);

    AlertRules rules;
    QVERIFY2(AlertRules::load(rulesPath, rules, &error), qPrintable(error));
    QCOMPARE(rules.rules().size(), AlertRules::defaults().rules().size());
    QCOMPARE(rules.rules().at(errorRate).type, Type::ErrorRate);
    QCOMPARE(rules.rules().at(errorRate).threshold, std::optional(2.5));
    QCOMPARE(rules.rules().at(errorRate).application, QStringLiteral("castingly"));
    QCOMPARE(rules.rules().at(latency).threshold, std::optional(1500.0));
    QCOMPARE(rules.rules().at(cost).threshold, std::optional(40.0));
    QCOMPARE(rules.rules().at(probing).type, Type::IpProbingPerMinute);
    QCOMPARE(rules.rules().at(probing).threshold, std::optional(12.0));

    // Opened again, the dialog shows what was saved.
    PreferencesDialog reopened;
    QVERIFY2(reopened.errorText().isEmpty(), qPrintable(reopened.errorText()));
    QCOMPARE(reopened.kindBox()->currentData().toInt(), kind);
    QCOMPARE(reopened.pricing(), profile);
    QCOMPARE(reopened.rules(), rules);
    QCOMPARE(reopened.budgetCheck()->isChecked(), budget >= 0);
    if (Kind(kind) == Kind::Custom)
        QCOMPARE(reopened.customPutBox()->value(), putPrice);
    QCOMPARE(reopened.ruleCount(), rules.rules().size());
    QCOMPARE(reopened.thresholdBox(errorRate)->value(), 2.5);
    QCOMPARE(reopened.thresholdBox(probing)->value(), 12.0);
    QCOMPARE(reopened.applicationEdit(errorRate)->text(), QStringLiteral("castingly"));
}

void TstPreferences::overwritesTheFilesTheSettingsName()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString pricingPath = dir.filePath(QStringLiteral("mine/pricing-custom.json"));
    const QString rulesPath = dir.filePath(QStringLiteral("rules.json"));
    {
        QFile file(rulesPath);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"rules": [{"type": "error_rate", "threshold": 5, "application": "dailey"},
                                 {"type": "ip_bandwidth_share", "threshold": 30, "min_day_gib": 2}]})");
    }
    QSettings().setValue(QStringLiteral("cost/pricingFile"), pricingPath);
    QSettings().setValue(QStringLiteral("alerts/rulesFile"), rulesPath);

    PreferencesDialog dialog;
    QCOMPARE(dialog.ruleCount(), 2); // the file's rules, not the defaults
    QCOMPARE(dialog.thresholdBox(0)->value(), 5.0);
    QCOMPARE(dialog.applicationEdit(0)->text(), QStringLiteral("dailey"));
    QCOMPARE(dialog.applicationEdit(1)->text(), QString());
    dialog.thresholdBox(1)->setValue(45);
    dialog.applicationEdit(1)->setText(QStringLiteral("castingly")); // per-IP rules scope too
    dialog.accept();
    QVERIFY2(dialog.result() == QDialog::Accepted, qPrintable(dialog.errorText()));

    QCOMPARE(QSettings().value(QStringLiteral("cost/pricingFile")).toString(), pricingPath);
    QCOMPARE(QSettings().value(QStringLiteral("alerts/rulesFile")).toString(), rulesPath);
    QVERIFY(!QFile::exists(configFile(QStringLiteral("pricing.json"))));
    QVERIFY(!QFile::exists(configFile(QStringLiteral("alert-rules.json"))));
    AlertRules rules;
    QString error;
    QVERIFY2(AlertRules::load(rulesPath, rules, &error), qPrintable(error));
    QCOMPARE(rules.rules().size(), 2);
    QCOMPARE(rules.rules().at(0).application, QStringLiteral("dailey"));
    QCOMPARE(rules.rules().at(1).threshold, std::optional(45.0));
    QCOMPARE(rules.rules().at(1).application, QStringLiteral("castingly"));
    QCOMPARE(rules.rules().at(1).minDayGiB, 2.0); // what the dialog does not show is kept
    PricingProfile profile;
    QVERIFY2(PricingProfile::load(pricingPath, profile, &error), qPrintable(error));
    QCOMPARE(profile, PricingProfile::ovh());
}

void TstPreferences::invalidValueIsRefused_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expectedInMessage");
    QTest::newRow("threshold not a number") << QStringLiteral("threshold") << QStringLiteral("Error rate");
    QTest::newRow("threshold empty") << QStringLiteral("empty threshold") << QStringLiteral("Error rate");
    QTest::newRow("custom price not a number")
        << QStringLiteral("custom price") << QStringLiteral("Custom GET-class price");
    QTest::newRow("tier price not a number")
        << QStringLiteral("tier price") << QStringLiteral("Egress tier 1");
    QTest::newRow("tier bounds not rising")
        << QStringLiteral("tier bounds") << QStringLiteral("Egress tier 2");
    QTest::newRow("budget negative") << QStringLiteral("budget") << QStringLiteral("Monthly budget");
    QTest::newRow("application on two lines")
        << QStringLiteral("two-line application") << QStringLiteral("one line");
}

void TstPreferences::invalidValueIsRefused()
{
    QFETCH(QString, field);
    QFETCH(QString, expectedInMessage);
    PreferencesDialog dialog;
    dialog.show();
    // Typed text reaches the spin box's editor unvalidated, as it can while the user is typing.
    const auto typeInto = [](QDoubleSpinBox *box, const QString &text) {
        QLineEdit *editor = box->findChild<QLineEdit *>();
        QVERIFY(editor);
        editor->setText(text);
    };
    const qsizetype errorRate = rowOf(dialog, Type::ErrorRate);
    if (field == QLatin1String("threshold")) {
        typeInto(dialog.thresholdBox(errorRate), QStringLiteral("one percent"));
    } else if (field == QLatin1String("empty threshold")) {
        typeInto(dialog.thresholdBox(errorRate), QString());
    } else if (field == QLatin1String("custom price")) {
        chooseKind(dialog, Kind::Custom);
        typeInto(dialog.customGetBox(), QStringLiteral("$ 0,0004x"));
    } else if (field == QLatin1String("tier price")) {
        chooseKind(dialog, Kind::Custom);
        typeInto(dialog.customTiers()->priceBox(0), QStringLiteral("$ cheap"));
    } else if (field == QLatin1String("tier bounds")) {
        chooseKind(dialog, Kind::Custom);
        EgressTierEditor *tiers = dialog.customTiers();
        tiers->addButton()->click();
        tiers->addButton()->click(); // 0-100, 100-200, above
        QCOMPARE(tiers->tierCount(), 3);
        tiers->upToBox(1)->setValue(50);
    } else if (field == QLatin1String("budget")) {
        dialog.budgetCheck()->setChecked(true);
        typeInto(dialog.budgetBox(), QStringLiteral("$ -5"));
    } else {
        dialog.applicationEdit(rowOf(dialog, Type::IpBandwidthShare))->setText(QStringLiteral("dai\nley"));
    }
    dialog.accept();
    QVERIFY(dialog.result() != QDialog::Accepted);
    QVERIFY(dialog.isVisible());
    QVERIFY2(dialog.errorText().contains(expectedInMessage), qPrintable(dialog.errorText()));
    QVERIFY(!QFile::exists(configFile(QStringLiteral("pricing.json"))));
    QVERIFY(!QFile::exists(configFile(QStringLiteral("alert-rules.json"))));
    QVERIFY(!QSettings().contains(QStringLiteral("cost/pricingFile")));
    QVERIFY(!QSettings().contains(QStringLiteral("alerts/rulesFile")));
}

void TstPreferences::customTiersAreEditedAndKept()
{
    PreferencesDialog dialog;
    dialog.show();
    chooseKind(dialog, Kind::Custom);
    EgressTierEditor *tiers = dialog.customTiers();
    QCOMPARE(tiers->tierCount(), 1);
    QVERIFY(!tiers->removeButton(0)->isEnabled()); // a profile always has a tier
    QVERIFY(!tiers->upToBox(0));                   // the only tier prices everything

    tiers->awsButton()->click();
    QCOMPARE(tiers->tiers(), PricingProfile::awsS3Standard().egressTiers);
    const qsizetype awsCount = tiers->tierCount();
    QVERIFY(awsCount >= 3);
    // Removing the last tier makes the one before it the unbounded one.
    tiers->removeButton(awsCount - 1)->click();
    QCOMPARE(tiers->tierCount(), awsCount - 1);
    QVERIFY(!tiers->upToBox(awsCount - 2));
    // Removing the first keeps the others' bounds; adding splits the last tier after the last bound.
    tiers->removeButton(0)->click();
    tiers->addButton()->click();
    QList<PricingProfile::EgressTier> expected = PricingProfile::awsS3Standard().egressTiers;
    expected.removeLast();
    expected.removeFirst();
    expected.last().upToGiB.reset();
    const double lastBound = *expected.at(expected.size() - 2).upToGiB;
    expected.insert(expected.size() - 1,
                    PricingProfile::EgressTier{lastBound * 2, expected.last().usdPerGiB});
    QCOMPARE(tiers->tiers(), expected);
    tiers->priceBox(0)->setValue(0.2);
    expected.first().usdPerGiB = 0.2;
    dialog.customGetBox()->setValue(0.001);

    dialog.accept();
    QVERIFY2(dialog.result() == QDialog::Accepted, qPrintable(dialog.errorText()));
    PricingProfile saved;
    QString error;
    QVERIFY2(PricingProfile::load(configFile(QStringLiteral("pricing.json")), saved, &error),
             qPrintable(error));
    QCOMPARE(int(saved.kind), int(Kind::Custom));
    QCOMPARE(saved.egressTiers, expected);
    QCOMPARE(saved.getClassUsdPer1000, 0.001);
    // The saved tiers price the month as the file says: the first tier's GiB at its price.
    const qint64 gib = qint64(1) << 30;
    QCOMPARE(saved.egressCost(0, gib), 0.2);

    PreferencesDialog reopened;
    QCOMPARE(reopened.customTiers()->tiers(), expected);
    QCOMPARE(reopened.pricing(), saved);
}

void TstPreferences::customTiersFromAFileSurviveOk()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("tiers.json"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"kind": "custom", "name": "negotiated",
                       "egress_tiers": [{"up_to_gib": 10, "usd_per_gib": 0},
                                        {"up_to_gib": 5000.5, "usd_per_gib": 0.07},
                                        {"usd_per_gib": 0.0425}],
                       "put_class_usd_per_1000": 0.004})");
    }
    QSettings().setValue(PreferencesDialog::pricingFileSetting(), path);
    PricingProfile original;
    QString error;
    QVERIFY2(PricingProfile::load(path, original, &error), qPrintable(error));
    PreferencesDialog dialog;
    QCOMPARE(dialog.customTiers()->tierCount(), 3);
    QCOMPARE(dialog.customTiers()->upToBox(1)->value(), 5000.5);
    dialog.accept();
    QVERIFY2(dialog.result() == QDialog::Accepted, qPrintable(dialog.errorText()));
    PricingProfile saved;
    QVERIFY2(PricingProfile::load(path, saved, &error), qPrintable(error));
    QCOMPARE(saved, original); // every tier and the name, not one flattened price
}

void TstPreferences::windowRechecksAlerts()
{
    MainWindow window;
    window.show();
    QSignalSpy alertsSpy(window.session(), &AnalysisSession::alertsReady);
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.openPaths({QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(alertsSpy.wait(60000));
    if (shown.isEmpty())
        QVERIFY(shown.wait(60000));
    // The sample's last day (Oct 31) has an error rate between 0.1 % and 10 %: above the default 1 %.
    const std::optional<Alert> atDefault = errorRateAlert(alertsSpy.last().at(0).value<QList<Alert>>());
    QVERIFY(atDefault);
    QCOMPARE(atDefault->threshold, 1.0);
    QVERIFY2(atDefault->value > 1 && atDefault->value < 10, qPrintable(QString::number(atDefault->value)));
    QVERIFY(errorRateAlert(window.alertsPanel()->model()->alerts()));

    const auto setThroughDialog = [&](double threshold, Kind kind) {
        window.showPreferences();
        const QPointer<PreferencesDialog> dialog = window.findChild<PreferencesDialog *>();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        dialog->thresholdBox(rowOf(*dialog, Type::ErrorRate))->setValue(threshold);
        chooseKind(*dialog, kind);
        if (kind == Kind::Custom)
            dialog->customTiers()->priceBox(0)->setValue(0.5);
        alertsSpy.clear();
        shown.clear();
        dialog->accept();
        QVERIFY2(dialog->result() == QDialog::Accepted, qPrintable(dialog->errorText()));
        QVERIFY(alertsSpy.wait(60000));
        if (shown.isEmpty())
            QVERIFY(shown.wait(60000));
        delete dialog.data(); // unless the event loop already did (WA_DeleteOnClose)
    };

    setThroughDialog(10, Kind::Custom);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(!errorRateAlert(alertsSpy.last().at(0).value<QList<Alert>>()));
    QVERIFY(!errorRateAlert(window.alertsPanel()->model()->alerts()));
    // The costs are recomputed with the new profile too.
    QCOMPARE(shown.last().at(0).value<Summary>().pricingProfile, QStringLiteral("custom"));

    setThroughDialog(0.1, Kind::Ovh);
    if (QTest::currentTestFailed())
        return;
    const std::optional<Alert> lowered = errorRateAlert(alertsSpy.last().at(0).value<QList<Alert>>());
    QVERIFY(lowered);
    QCOMPARE(lowered->threshold, 0.1);
    QCOMPARE(lowered->value, atDefault->value);
    QCOMPARE(shown.last().at(0).value<Summary>().pricingProfile, QStringLiteral("OVHcloud"));
}

void TstPreferences::geoDatabaseChoiceReachesTheDashboard()
{
    MainWindow window;
    window.show();
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    window.openPaths({QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(shown.wait(60000));
    // By default the packaged database places the sample's addresses.
    QVERIFY(shown.last().at(0).value<Summary>().audience.geoAvailable);
    QVERIFY(!shown.last().at(0).value<Summary>().audience.countries.isEmpty());

    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("GeoLite2-Country.mmdb"));
    auto choose = [&](bool enabled, const QString &files) {
        window.showPreferences();
        const QPointer<PreferencesDialog> dialog = window.findChild<PreferencesDialog *>();
        QVERIFY(dialog);
        dialog->geoCheck()->setChecked(enabled);
        dialog->geoFilesEdit()->setText(files);
        if (enabled && files == missing) // the tab says at once that the file cannot be used
            QVERIFY2(dialog->geoStatus().contains(missing), qPrintable(dialog->geoStatus()));
        shown.clear();
        dialog->accept();
        QVERIFY2(dialog->result() == QDialog::Accepted, qPrintable(dialog->errorText()));
        QVERIFY(shown.wait(60000));
        delete dialog.data();
    };

    choose(true, missing);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(QSettings().value(PreferencesDialog::geoDatabasesSetting()).toStringList(),
             QStringList{missing});
    Summary summary = shown.last().at(0).value<Summary>();
    QVERIFY(!summary.audience.geoAvailable);
    QVERIFY2(summary.audience.geoSource.contains(missing), qPrintable(summary.audience.geoSource));
    QVERIFY(window.audience()->geoNote().contains(missing));
    QVERIFY(summary.audience.countries.isEmpty());

    choose(false, QString());
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(QSettings().value(PreferencesDialog::geoEnabledSetting()).toBool(), false);
    QVERIFY(!shown.last().at(0).value<Summary>().audience.geoAvailable);

    choose(true, QString()); // back to the default database
    if (QTest::currentTestFailed())
        return;
    summary = shown.last().at(0).value<Summary>();
    QVERIFY(summary.audience.geoAvailable);
    QVERIFY(!summary.audience.countries.isEmpty());
}

QTEST_MAIN(TstPreferences)
#include "tst_preferences.moc"
