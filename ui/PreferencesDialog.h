// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "aggregation/Attribution.h"
#include "alerts/AlertRules.h"
#include "cost/PricingProfile.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QStackedWidget;

namespace BucketScope {

class AttributionRulesPage;
class EgressTierEditor;
class StoragePage;

// Edits the pricing profile, the alert thresholds and the application attribution rules. They live in
// the JSON files named by the settings cost/pricingFile, alerts/rulesFile and attribution/rulesFile (the
// same files `bucketscope check` and `--attribution` read), so OK writes those files, creating
// pricing.json, alert-rules.json and attribution.json in the app's config folder when the settings name
// none yet, and points the settings at them.
class PreferencesDialog : public QDialog
{
    Q_OBJECT
public:
    explicit PreferencesDialog(QWidget *parent = nullptr);

    // Checks every field and writes both files; on a problem writes nothing and returns false with
    // a message naming the field.
    bool save(QString *error);
    // Stays open with the message shown when save() fails.
    void accept() override;

    // What the fields describe now.
    PricingProfile pricing() const;
    AlertRules rules() const;
    Attribution attribution() const;
    QString errorText() const;

    // The fields, for keyboard-free use by tests.
    QComboBox *kindBox() const { return m_kind; }
    QDoubleSpinBox *ovhEgressBox() const { return m_ovhEgress; }
    EgressTierEditor *customTiers() const { return m_customTiers; }
    QDoubleSpinBox *customGetBox() const { return m_customGet; }
    QDoubleSpinBox *customPutBox() const { return m_customPut; }
    QCheckBox *budgetCheck() const { return m_hasBudget; }
    QDoubleSpinBox *budgetBox() const { return m_budget; }
    qsizetype ruleCount() const { return m_ruleRows.size(); }
    QDoubleSpinBox *thresholdBox(qsizetype rule) const { return m_ruleRows.at(rule).threshold; }
    QLineEdit *applicationEdit(qsizetype rule) const { return m_ruleRows.at(rule).application; }
    AttributionRulesPage *applicationsPage() const { return m_applications; }
    StoragePage *storagePage() const { return m_storage; }
    QCheckBox *geoCheck() const { return m_geoEnabled; }
    QLineEdit *geoFilesEdit() const { return m_geoFiles; }
    // Times in UTC or in the system's zone (the View menu switches the same setting).
    QComboBox *timeZoneBox() const { return m_timeZone; }
    // What the Geo tab's files would give: the database's description, or why there is none.
    QString geoStatus() const;

    static QString pricingFileSetting();
    static QString rulesFileSetting();
    static QString attributionFileSetting();
    // The rules the setting's file holds; the defaults when it names none, and with `error` set when it
    // cannot be used.
    static Attribution savedAttribution(QString *error);
    // Countries and networks: whether to look them up, and from which files (empty: the default).
    static QString geoEnabledSetting();
    static QString geoDatabasesSetting();
    static bool savedGeoEnabled();
    static QStringList savedGeoDatabases();

private:
    struct RuleRow
    {
        QDoubleSpinBox *threshold = nullptr;
        QLineEdit *application = nullptr;
    };
    QWidget *createCostTab(const PricingProfile &loaded);
    QWidget *createAlertsTab();
    QWidget *createGeoTab();
    QWidget *createTimeZoneTab();
    QStringList geoFiles() const;
    void updateGeoStatus();
    QDoubleSpinBox *createPriceBox(double value, QWidget *parent) const;
    QString ruleTitle(const AlertRules::Rule &rule) const;
    // The file a setting names, or `fileName` in the app's config folder when it names none.
    static QString targetPath(const QString &setting, const QString &fileName);

    QComboBox *m_timeZone = nullptr; // data: "UTC" or "local" (ZoneCalendar::settingKey())
    QCheckBox *m_geoEnabled = nullptr;
    QLineEdit *m_geoFiles = nullptr;
    QLabel *m_geoStatus = nullptr;
    PricingProfile m_loadedPricing;
    AlertRules m_loadedRules;
    QComboBox *m_kind = nullptr;
    QStackedWidget *m_kindPages = nullptr;
    QDoubleSpinBox *m_ovhEgress = nullptr;
    EgressTierEditor *m_customTiers = nullptr;
    QDoubleSpinBox *m_customGet = nullptr;
    QDoubleSpinBox *m_customPut = nullptr;
    QCheckBox *m_hasBudget = nullptr;
    QDoubleSpinBox *m_budget = nullptr;
    QList<RuleRow> m_ruleRows;
    AttributionRulesPage *m_applications = nullptr;
    StoragePage *m_storage = nullptr;
    QLabel *m_error = nullptr;
};

} // namespace BucketScope
