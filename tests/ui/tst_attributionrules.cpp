// SPDX-License-Identifier: GPL-3.0-or-later
// The Applications page of the Preferences: the rules model (checked by QAbstractItemModelTester), adding,
// editing, moving and removing rules, the "Test a request" box, saving to the file `--attribution`
// reads, reopening, refusing a rule with a problem, and an open window re-attributed without re-reading.
#include "AttributionRulesModel.h"
#include "AttributionRulesPage.h"
#include "MainWindow.h"
#include "PreferencesDialog.h"
#include "session/AnalysisSession.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QPointer>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace BucketScope;

namespace {

using Kind = Attribution::Rule::Kind;

QString configFile(const QString &name)
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation)).filePath(name);
}

void chooseKind(AttributionRulesPage &page, Kind kind)
{
    page.typeBox()->setCurrentIndex(page.typeBox()->findData(int(kind)));
}

// Adds a rule of `kind` at the end through the page, as a user would.
void addRule(AttributionRulesPage &page, Kind kind, const QString &pattern, const QString &application)
{
    page.selectRow(page.model()->rowCount() - 1);
    chooseKind(page, kind);
    page.addRule();
    const int row = page.selectedRow();
    AttributionRulesModel *model = page.model();
    model->setData(model->index(row, AttributionRulesModel::PatternColumn), pattern);
    if (!application.isEmpty())
        model->setData(model->index(row, AttributionRulesModel::ApplicationColumn), application);
}

QStringList applicationsOf(const Summary &summary)
{
    QStringList names;
    for (const RankedItem &item : summary.applications)
        names << item.name;
    names.sort();
    return names;
}

} // namespace

class TstAttributionRules : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanup();
    void modelPassesTheTester();
    void editMoveAndTest();
    void saveAndReopen();
    void ruleWithAProblemIsRefused_data();
    void ruleWithAProblemIsRefused();
    void windowReattributesWithoutReloading();
};

void TstAttributionRules::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true); // settings and config files stay out of the home folder
    QCoreApplication::setOrganizationName(QStringLiteral("BucketScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_attributionrules"));
    QSettings().clear();
    for (const char *name : {"pricing.json", "alert-rules.json", "attribution.json"})
        QFile::remove(configFile(QLatin1String(name)));
}

void TstAttributionRules::cleanup()
{
    initTestCase();
}

void TstAttributionRules::modelPassesTheTester()
{
    AttributionRulesModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRules(Attribution::defaults().rules());
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.insertRule(0, Kind::UserAgentContains), 0);
    QCOMPARE(model.insertRule(99, Kind::Requester), 3); // out of range: appended
    QVERIFY(model.setData(model.index(0, AttributionRulesModel::PatternColumn), QStringLiteral(" curl ")));
    QVERIFY(model.setData(model.index(0, AttributionRulesModel::ApplicationColumn), QStringLiteral("tools")));
    QCOMPARE(model.rules().at(0).pattern, std::string("curl")); // surrounding blanks dropped
    // A derived application cannot be typed over; the type is not edited in place.
    QVERIFY(!model.setData(model.index(1, AttributionRulesModel::ApplicationColumn), QStringLiteral("x")));
    QVERIFY(!model.setData(model.index(1, AttributionRulesModel::TypeColumn), QStringLiteral("requester")));
    QVERIFY(
        model.setData(model.index(1, AttributionRulesModel::PatternColumn), QStringLiteral("-pub, ,-priv")));
    QCOMPARE(model.rules().at(1).suffixes, (QList<std::string>{"-pub", "-priv"}));
    QVERIFY(model.moveRule(0, 1));
    QCOMPARE(model.rules().at(1).kind, Kind::UserAgentContains);
    QVERIFY(model.moveRule(3, -1));
    QCOMPARE(model.rules().at(2).kind, Kind::Requester);
    QVERIFY(!model.moveRule(0, -1));
    QVERIFY(!model.moveRule(3, 1));
    QCOMPARE(model.problem(), QStringLiteral("Rule 3 (Requester): needs a non-empty \"requester\""));
    QCOMPARE(model.data(model.index(2, AttributionRulesModel::ProblemColumn)).toString(),
             QStringLiteral("needs a non-empty \"requester\""));
    QVERIFY(model.removeRows(2, 1));
    QVERIFY(model.problem().isEmpty());
    QVERIFY(!model.removeRows(3, 1));
    QCOMPARE(model.headerData(0, Qt::Vertical).toInt(), 1);
}

void TstAttributionRules::editMoveAndTest()
{
    AttributionRulesPage page(Attribution::defaults());
    page.testKeyEdit()->setText(QStringLiteral("files/71479fa3/castingly-public/a.webp"));
    page.testUserAgentEdit()->setText(QStringLiteral("aws-sdk-js/3.637.0"));
    QCOMPARE(page.testResult(), QStringLiteral("Rule 1 (Key segment suffix) matches: castingly"));

    addRule(page, Kind::UserAgentContains, QStringLiteral("AWS-SDK"), QStringLiteral("uploads"));
    QCOMPARE(page.model()->rowCount(), 3);
    QCOMPARE(page.selectedRow(), 2);
    QVERIFY(page.problemText().isEmpty());
    // Last in the list: the key segment rule still wins.
    QCOMPARE(page.testResult(), QStringLiteral("Rule 1 (Key segment suffix) matches: castingly"));
    page.moveSelected(-1);
    page.moveSelected(-1);
    QCOMPARE(page.selectedRow(), 0);
    QCOMPARE(page.testResult(), QStringLiteral("Rule 1 (User agent contains) matches: uploads"));
    page.moveSelected(-1); // already at the top
    QCOMPARE(page.selectedRow(), 0);

    page.testKeyEdit()->setText(QStringLiteral("-"));
    page.testUserAgentEdit()->setText(QStringLiteral("curl/8.0"));
    QCOMPARE(page.testResult(), QStringLiteral("No rule matches: unattributed"));
    page.testRefererEdit()->setText(QStringLiteral("https://admin.dailey.dev/dashboard"));
    QCOMPARE(page.testResult(), QStringLiteral("Rule 3 (Referer first label) matches: admin"));

    page.removeSelected();
    QCOMPARE(page.model()->rowCount(), 2);
    QCOMPARE(page.selectedRow(), 0);
    // An incomplete rule is named under the table and the test waits for it.
    chooseKind(page, Kind::KeyPrefix);
    page.addRule();
    QCOMPARE(page.problemText(), QStringLiteral("Rule 2 (Key prefix): needs a non-empty \"prefix\""));
    QCOMPARE(page.testResult(), QStringLiteral("Fix the rules first."));
    page.restoreDefaults();
    QCOMPARE(page.model()->rules(), Attribution::defaults().rules());
    QVERIFY(page.problemText().isEmpty());
    for (QLineEdit *edit :
         {page.testKeyEdit(), page.testRefererEdit(), page.testRequesterEdit(), page.testUserAgentEdit()})
        edit->clear();
    QCOMPARE(page.testResult(), QStringLiteral("Fill in at least one field."));
}

void TstAttributionRules::saveAndReopen()
{
    {
        PreferencesDialog dialog;
        AttributionRulesPage *page = dialog.applicationsPage();
        QCOMPARE(page->model()->rules(), Attribution::defaults().rules());
        addRule(*page, Kind::Requester, QStringLiteral("arn:aws:iam::484907511234:user/castingly-uploader"),
                QStringLiteral("uploader"));
        addRule(*page, Kind::KeyPathSegment, QStringLiteral("castingly-public"), QStringLiteral("castingly"));
        page->selectRow(3);
        page->moveSelected(-1);
        page->moveSelected(-1);
        page->moveSelected(-1);
        QString error;
        QVERIFY2(dialog.save(&error), qPrintable(error));
    }
    const QString path = QSettings().value(PreferencesDialog::attributionFileSetting()).toString();
    QCOMPARE(path, configFile(QStringLiteral("attribution.json")));
    // The file is what the command line reads.
    Attribution saved;
    QString error;
    QVERIFY2(Attribution::load(path, saved, &error), qPrintable(error));
    QCOMPARE(saved.rules().size(), 4);
    QCOMPARE(saved.rules().at(0).kind, Kind::KeyPathSegment);
    QCOMPARE(saved.rules().at(0).application, std::string("castingly"));
    QCOMPARE(saved.rules().at(3).kind, Kind::Requester);

    PreferencesDialog reopened;
    QVERIFY(reopened.errorText().isEmpty());
    QCOMPARE(reopened.applicationsPage()->model()->rules(), saved.rules());

    // A file broken by hand: the dialog shows the defaults and says why.
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(R"({"rules": [{"type": "regex"}]})");
    file.close();
    PreferencesDialog broken;
    QCOMPARE(broken.applicationsPage()->model()->rules(), Attribution::defaults().rules());
    QVERIFY2(broken.errorText().contains(path + QStringLiteral(": rule 1: unknown type 'regex'")),
             qPrintable(broken.errorText()));
}

void TstAttributionRules::ruleWithAProblemIsRefused_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("application");
    QTest::addColumn<QString>("message");
    QTest::newRow("no pattern") << int(Kind::KeyPrefix) << QString() << QStringLiteral("a")
                                << QStringLiteral(
                                       "Applications: Rule 3 (Key prefix): needs a non-empty \"prefix\"");
    QTest::newRow("no application") << int(Kind::UserAgentContains) << QStringLiteral("curl") << QString()
                                    << QStringLiteral("Applications: Rule 3 (User agent contains): needs a "
                                                      "non-empty \"application\"");
    QTest::newRow("segment with a slash")
        << int(Kind::KeyPathSegment) << QStringLiteral("a/b") << QStringLiteral("a")
        << QStringLiteral(
               "Applications: Rule 3 (Key path segment): \"segment\" is one part of the key between "
               "slashes; it cannot contain '/'");
}

void TstAttributionRules::ruleWithAProblemIsRefused()
{
    QFETCH(int, kind);
    QFETCH(QString, pattern);
    QFETCH(QString, application);
    QFETCH(QString, message);
    PreferencesDialog dialog;
    addRule(*dialog.applicationsPage(), Kind(kind), pattern, application);
    dialog.accept();
    QVERIFY(dialog.result() != QDialog::Accepted);
    QCOMPARE(dialog.errorText(), message);
    // Nothing was written, not even the other pages' files.
    QVERIFY(!QSettings().contains(PreferencesDialog::attributionFileSetting()));
    QVERIFY(!QFile::exists(configFile(QStringLiteral("attribution.json"))));
    QVERIFY(!QFile::exists(configFile(QStringLiteral("pricing.json"))));
}

void TstAttributionRules::windowReattributesWithoutReloading()
{
    MainWindow window;
    window.show();
    QSignalSpy shown(&window, &MainWindow::summaryShown);
    QSignalSpy loads(window.session(), &AnalysisSession::loadStarted);
    window.openPaths({QStringLiteral(BUCKETSCOPE_SAMPLE_LOG)});
    QVERIFY(shown.wait(60000));
    const QStringList before = applicationsOf(shown.last().at(0).value<Summary>());
    QVERIFY(before.contains(QStringLiteral("castingly")));
    QVERIFY(!before.contains(QStringLiteral("sdk")));

    window.showPreferences();
    const QPointer<PreferencesDialog> dialog = window.findChild<PreferencesDialog *>();
    QVERIFY(dialog);
    AttributionRulesPage *page = dialog->applicationsPage();
    page->model()->setRules({});
    addRule(*page, Kind::UserAgentContains, QStringLiteral("aws-sdk"), QStringLiteral("sdk"));
    shown.clear();
    dialog->accept();
    QVERIFY2(dialog->result() == QDialog::Accepted, qPrintable(dialog->errorText()));
    QVERIFY(shown.wait(60000));
    // Only the user agent rule now: the SDK's requests and everything else.
    QCOMPARE(applicationsOf(shown.last().at(0).value<Summary>()),
             (QStringList{QStringLiteral("sdk"), QStringLiteral("unattributed")}));
    QCOMPARE(loads.size(), 1); // re-aggregated, not re-read
    QCOMPARE(window.session()->query().attribution.rules().size(), 1);
    delete dialog.data();
}

QTEST_MAIN(TstAttributionRules)
#include "tst_attributionrules.moc"
