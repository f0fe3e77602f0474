// SPDX-License-Identifier: GPL-3.0-or-later
// Hostile log content in the desktop views: markup, script, terminal escapes, control characters,
// invalid UTF-8 and 1 MiB values go through a real ingest into a real store and must come out of the
// request table, the details dialog and the rejected-lines dialog as the text itself, never as markup.
#include "RecordDetailsDialog.h"
#include "RejectedLinesDialog.h"
#include "RequestTableModel.h"
#include "ingest/IngestWorker.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QLabel>
#include <QSignalSpy>
#include <QSqlRecord>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextDocument>

using namespace BucketScope;

namespace {

struct Hostile
{
    const char *name;
    QByteArray userAgent; // as logged, between the quotes
    QByteArray referer;
    QString shown; // what a person must see (invalid UTF-8 as U+FFFD)
};

QList<Hostile> hostileValues()
{
    const QByteArray megabyte = QByteArray(1 << 20, 'A') + "<b>end</b>";
    return {
        {"script", "<script>alert(document.cookie)</script>", "https://x.example/<script>",
         QStringLiteral("<script>alert(document.cookie)</script>")},
        {"markup and ampersand", "<b>bold</b> & <i>it</i>", "-", QStringLiteral("<b>bold</b> & <i>it</i>")},
        {"entity-looking text", "a &amp; b &lt;c&gt;", "-", QStringLiteral("a &amp; b &lt;c&gt;")},
        {"plain ampersand", "Tom & Jerry", "-", QStringLiteral("Tom & Jerry")},
        {"terminal escapes", "\x1b[2J\x1b[31mred\x1b]0;title\x07\x1b[0m", "-",
         QStringLiteral("\x1b[2J\x1b[31mred\x1b]0;title\x07\x1b[0m")},
        {"control characters",
         "a\x01"
         "b\x7f"
         "c",
         "-",
         QStringLiteral("a\x01"
                        "b\x7f"
                        "c")},
        {"invalid UTF-8", "caf\xe9 ok", "-", QStringLiteral("caf\uFFFD ok")},
        {"image with onerror in referer", "curl/8.0", "<img src=x onerror=alert(1)>",
         QStringLiteral("curl/8.0")},
        {"1 MiB user agent", megabyte, "-", QString::fromLatin1(megabyte)},
    };
}

QByteArray logLine(int n, const Hostile &value)
{
    return "owner bucket [30/Oct/2025:21:00:" + QByteArray::number(10 + n) + " +0000] 192.0.2.1 - REQ" +
           QByteArray::number(n) + " REST.GET.OBJECT key/" + QByteArray::number(n) +
           " \"GET /key HTTP/1.1\" 200 - 10 10 1 1 \"" + value.referer + "\" \"" + value.userAgent +
           "\" - hostid SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket.example TLSv1.2 -";
}

// What a tooltip shows: Qt renders it as rich text when it looks rich, else as it is.
QString shownByToolTip(const QString &tip)
{
    if (!Qt::mightBeRichText(tip))
        return tip;
    QTextDocument document;
    document.setHtml(tip);
    return document.toPlainText();
}

} // namespace

class TstHostile : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void requestTableAndDetailsShowTheText_data();
    void requestTableAndDetailsShowTheText();
    void rejectedLinesShowTheText();

private:
    QTemporaryDir m_dir;
    QString m_store;
    QStringList m_rejectedLines;
};

void TstHostile::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QByteArray log;
    const QList<Hostile> values = hostileValues();
    for (int i = 0; i < values.size(); ++i)
        log += logLine(i, values.at(i)) + '\n';
    // Lines that are not records, kept with their text for the rejected-lines dialog.
    m_rejectedLines = {QStringLiteral("<b>not a log</b> <script>alert(1)</script>"),
                       QStringLiteral("\x1b[2J\x1b[1;1H cleared your screen"),
                       QStringLiteral("a line with a NUL") + QChar(0) + QStringLiteral(" byte")};
    for (const QString &line : m_rejectedLines)
        log += line.toUtf8() + '\n';
    const QString path = m_dir.filePath(QStringLiteral("hostile.log"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(log);
    file.close();

    m_store = m_dir.filePath(QStringLiteral("store.sqlite"));
    IngestWorker worker(IngestRequest{{path}, m_store});
    QSignalSpy finished(&worker, &IngestWorker::finished);
    worker.run();
    QCOMPARE(finished.size(), 1);
    const IngestResult result = finished.at(0).at(0).value<IngestResult>();
    QCOMPARE(result.records, qint64(values.size()));
    QCOMPARE(result.rejected, qint64(m_rejectedLines.size()));
}

void TstHostile::requestTableAndDetailsShowTheText_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<QString>("userAgent");
    QTest::addColumn<QString>("referer");
    const QList<Hostile> values = hostileValues();
    for (int i = 0; i < values.size(); ++i) {
        const QString referer =
            values.at(i).referer == "-" ? QString() : QString::fromUtf8(values.at(i).referer);
        QTest::newRow(values.at(i).name) << i << values.at(i).shown << referer;
    }
}

void TstHostile::requestTableAndDetailsShowTheText()
{
    QFETCH(int, row);
    QFETCH(QString, userAgent);
    QFETCH(QString, referer);

    RequestTableModel model;
    QString error;
    QVERIFY2(model.openStore(m_store, &error), qPrintable(error));
    model.sort(model.record().indexOf(QStringLiteral("time")), Qt::AscendingOrder);
    QTRY_VERIFY(!model.isBusy()); // sorted on the table's loader thread
    QTRY_COMPARE(model.rowCount(), int(hostileValues().size()));
    const int agentColumn = model.record().indexOf(QStringLiteral("user_agent"));
    const int refererColumn = model.record().indexOf(QStringLiteral("referer"));
    QVERIFY(agentColumn >= 0 && refererColumn >= 0);

    // The table shows the text itself (item views never interpret markup).
    QCOMPARE(model.index(row, agentColumn).data(Qt::DisplayRole).toString(), userAgent);
    if (!referer.isEmpty())
        QCOMPARE(model.index(row, refererColumn).data(Qt::DisplayRole).toString(), referer);

    // The details dialog: the value cell is the text, and its tooltip shows the text too.
    RecordDetailsDialog details(model.record(row));
    QTableWidget *table = details.table();
    QTableWidgetItem *agent = nullptr;
    for (int i = 0; i < table->rowCount(); ++i) {
        if (table->item(i, 0)->text() == QLatin1String("user_agent"))
            agent = table->item(i, 1);
    }
    QVERIFY(agent);
    QCOMPARE(agent->text(), userAgent);
    const QString tip = shownByToolTip(agent->toolTip());
    if (userAgent.size() <= 2000) {
        QCOMPARE(tip, userAgent);
    } else {
        // A 1 MiB value is cut in its tooltip (the cell has it whole), never rendered as markup.
        QVERIFY(tip.size() < 2100);
        QVERIFY(userAgent.startsWith(tip.chopped(1)));
    }
}

void TstHostile::rejectedLinesShowTheText()
{
    RejectedLinesDialog dialog(m_store);
    QAbstractItemModelTester tester(dialog.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&dialog, &RejectedLinesDialog::loaded);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(loaded.first().at(2).toString(), QString());
    QAbstractItemModel *model = dialog.model();
    QCOMPARE(model->rowCount(), int(m_rejectedLines.size()));
    for (int i = 0; i < model->rowCount(); ++i) {
        QCOMPARE(model->index(i, 3).data().toString(), m_rejectedLines.at(i));
        // Reasons quote parts of the line: printable ASCII only, whatever the line held.
        const QString reason = model->index(i, 2).data().toString();
        QVERIFY(!reason.isEmpty());
        for (QChar c : reason)
            QVERIFY2(c.unicode() >= 0x20 && c.unicode() < 0x7f, qPrintable(reason));
    }
    for (const QLabel *label : dialog.findChildren<QLabel *>())
        QCOMPARE(label->textFormat(), Qt::PlainText);
}

QTEST_MAIN(TstHostile)
#include "tst_hostile.moc"
