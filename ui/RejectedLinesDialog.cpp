// SPDX-License-Identifier: GPL-3.0-or-later
#include "RejectedLinesDialog.h"

#include "RejectedLinesModel.h"
#include "alerts/AbuseQueries.h"

#include "store/MySqlStore.h"

#include <QDialogButtonBox>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPromise>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QThreadPool>
#include <QUuid>
#include <QVBoxLayout>

#include <memory>

namespace BucketScope {

namespace {

struct RejectRows
{
    QList<RejectedLinesModel::Line> rows;
    qint64 total = 0;
    QString error;
};

// `text` may come back as bytes (how SQLite kept a line that is not UTF-8) or as text.
QString textOf(const QVariant &value)
{
    return value.typeId() == QMetaType::QByteArray ? QString::fromUtf8(value.toByteArray())
                                                   : value.toString();
}

void readRejects(QSqlDatabase db, RejectRows &out)
{
    QSqlQuery count(db);
    if (!count.exec(QStringLiteral("SELECT COUNT(*) FROM rejects")) || !count.next()) {
        out.error = count.lastError().text();
        return;
    }
    out.total = count.value(0).toLongLong();
    QSqlQuery query(db);
    query.setForwardOnly(true);
    query.prepare(QStringLiteral("SELECT file, line_no, reason, line_text FROM rejects ORDER BY id LIMIT ?"));
    query.addBindValue(RejectedLinesDialog::kMaxShown);
    if (!query.exec()) {
        out.error = query.lastError().text();
        return;
    }
    while (query.next())
        out.rows.append({textOf(query.value(0)), query.value(1).toLongLong(), textOf(query.value(2)),
                         textOf(query.value(3))});
}

RejectRows readRejects(const QString &storePath, const std::optional<StoreLocation> &server)
{
    RejectRows result;
    if (server) {
        // Opened, used and closed on this thread, bounded by the location's connect timeout.
        if (std::unique_ptr<MySqlStore> store =
                MySqlStore::open(*server, MySqlStore::Open::ExistingTables, &result.error))
            readRejects(store->database(), result);
        return result;
    }
    const QString name = QStringLiteral("rejects-") + QUuid::createUuid().toString();
    {
        QSqlDatabase db = AbuseQueries::openSqlite(storePath, name, &result.error);
        if (db.isOpen())
            readRejects(db, result);
    }
    QSqlDatabase::removeDatabase(name);
    return result;
}

} // namespace

RejectedLinesDialog::RejectedLinesDialog(const QString &storePath, QWidget *parent)
    : RejectedLinesDialog(storePath, std::nullopt, parent)
{
}

RejectedLinesDialog::RejectedLinesDialog(const StoreLocation &server, QWidget *parent)
    : RejectedLinesDialog(QString(), server, parent)
{
}

RejectedLinesDialog::RejectedLinesDialog(const QString &storePath, const std::optional<StoreLocation> &server,
                                         QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Rejected lines"));
    resize(1000, 500);
    auto *layout = new QVBoxLayout(this);
    auto *hint = new QLabel(
        tr("Lines that are not S3 access-log records. Everything else in their files was loaded."), this);
    hint->setTextFormat(Qt::PlainText);
    layout->addWidget(hint);
    m_status = new QLabel(tr("Reading the rejected lines…"), this);
    m_status->setTextFormat(Qt::PlainText); // a server's message is shown as it is
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    m_model = new RejectedLinesModel(this);
    auto *view = new QTableView(this);
    view->setModel(m_model);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setWordWrap(false);
    view->verticalHeader()->setVisible(false);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    layout->addWidget(view, 1);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);

    // The rows come back through a future, which stays safe if the dialog is closed meanwhile.
    auto promise = std::make_shared<QPromise<RejectRows>>();
    auto *watcher = new QFutureWatcher<RejectRows>(this);
    connect(watcher, &QFutureWatcher<RejectRows>::finished, this, [this, watcher] {
        watcher->deleteLater();
        if (watcher->future().resultCount() == 0)
            return;
        RejectRows result = watcher->future().takeResult();
        showRows(std::move(result.rows), result.total, result.error);
    });
    watcher->setFuture(promise->future());
    promise->start();
    QThreadPool::globalInstance()->start([promise, storePath, server] {
        promise->addResult(readRejects(storePath, server));
        promise->finish();
    });
}

QAbstractItemModel *RejectedLinesDialog::model() const
{
    return m_model;
}

QString RejectedLinesDialog::statusText() const
{
    return m_status->text();
}

void RejectedLinesDialog::showRows(QList<RejectedLinesModel::Line> rows, qint64 total, const QString &error)
{
    m_loading = false;
    const QLocale locale;
    if (!error.isEmpty())
        m_status->setText(tr("The rejected lines could not be read: %1").arg(error));
    else if (total > rows.size())
        m_status->setText(tr("The first %1 of %2 rejected lines.")
                              .arg(locale.toString(qint64(rows.size())), locale.toString(total)));
    else
        m_status->setText(tr("%n rejected line(s).", nullptr, int(total)));
    const qint64 shown = rows.size();
    m_model->setLines(std::move(rows));
    emit loaded(shown, total, error);
}

} // namespace BucketScope
