// SPDX-License-Identifier: GPL-3.0-or-later
#include "StoragePage.h"

#include "PlainLabel.h"
#include "store/StoreLocation.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QStandardPaths>
#include <QVBoxLayout>

namespace BucketScope {

QString StoragePage::suggestedFolder()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
        .filePath(QStringLiteral("stores"));
}

QString StoragePage::savedDesktopFolder()
{
    const QSettings settings;
    if (!settings.value(keepStoresSetting(), false).toBool())
        return QString();
    return settings.value(desktopFolderSetting()).toString();
}

StoragePage::StoragePage(QWidget *parent) : QWidget(parent)
{
    const QSettings settings;
    auto *layout = new QVBoxLayout(this);

    auto *desktop = new QGroupBox(tr("Logs opened in this app"), this);
    auto *desktopLayout = new QVBoxLayout(desktop);
    m_temporary =
        new QRadioButton(tr("Keep them in a temporary store, deleted when the window closes"), desktop);
    m_keep = new QRadioButton(
        tr("Keep them in this folder, so that opening the same logs again skips reading them:"), desktop);
    desktopLayout->addWidget(m_temporary);
    desktopLayout->addWidget(m_keep);
    auto *folderRow = new QHBoxLayout;
    m_folder = new QLineEdit(desktop);
    const QString folder = settings.value(desktopFolderSetting()).toString();
    m_folder->setText(folder.isEmpty() ? suggestedFolder() : folder);
    folderRow->addWidget(m_folder);
    auto *chooseFolder = new QPushButton(tr("Choose…"), desktop);
    connect(chooseFolder, &QPushButton::clicked, this, [this] {
        const QString chosen =
            QFileDialog::getExistingDirectory(this, tr("Folder for kept stores"), m_folder->text());
        if (!chosen.isEmpty())
            m_folder->setText(chosen);
    });
    folderRow->addWidget(chooseFolder);
    desktopLayout->addLayout(folderRow);
    desktopLayout->addWidget(
        plainLabel(tr("Each selection of files and folders gets a store of its own there (logs-….sqlite). "
                      "It is used again as long as the same files are unchanged; when files change, "
                      "appear or disappear, it is filled again from the logs."),
                   desktop));
    const bool keep = settings.value(keepStoresSetting(), false).toBool();
    (keep ? m_keep : m_temporary)->setChecked(true);
    m_folder->setEnabled(keep);
    chooseFolder->setEnabled(keep);
    connect(m_keep, &QRadioButton::toggled, m_folder, &QWidget::setEnabled);
    connect(m_keep, &QRadioButton::toggled, chooseFolder, &QWidget::setEnabled);
    layout->addWidget(desktop);

    auto *commandLine = new QGroupBox(tr("Command line: the store used when no --db is given"), this);
    auto *commandLineLayout = new QVBoxLayout(commandLine);
    auto *storeRow = new QHBoxLayout;
    m_commandLineStore = new QLineEdit(commandLine);
    m_commandLineStore->setPlaceholderText(StoreLocation::defaultLocation().path);
    m_commandLineStore->setToolTip(
        tr("An absolute SQLite file path, or a store URL: sqlite:///path/store.sqlite "
           "or mysql://user@host:port/database"));
    m_commandLineStore->setText(settings.value(StoreLocation::defaultStoreSetting()).toString());
    storeRow->addWidget(m_commandLineStore);
    auto *chooseStore = new QPushButton(tr("Choose…"), commandLine);
    connect(chooseStore, &QPushButton::clicked, this, [this] {
        const QString chosen = QFileDialog::getSaveFileName(
            this, tr("Default store"), m_commandLineStore->text(),
            tr("SQLite stores (*.sqlite);;All files (*)"), nullptr, QFileDialog::DontConfirmOverwrite);
        if (!chosen.isEmpty())
            m_commandLineStore->setText(chosen);
    });
    storeRow->addWidget(chooseStore);
    auto *useDefault = new QPushButton(tr("Use Default"), commandLine);
    connect(useDefault, &QPushButton::clicked, m_commandLineStore, &QLineEdit::clear);
    storeRow->addWidget(useDefault);
    commandLineLayout->addLayout(storeRow);
    m_commandLineStatus = plainLabel(QString(), commandLine);
    m_commandLineStatus->setObjectName(QStringLiteral("commandLineStatus"));
    commandLineLayout->addWidget(m_commandLineStatus);
    commandLineLayout->addWidget(
        plainLabel(tr("bucketscope ingest, summary, export and check read it when run by this user (cron "
                      "included) without --db; --db always wins. Settings file: %1")
                       .arg(QDir::toNativeSeparators(settings.fileName())),
                   commandLine));
    connect(m_commandLineStore, &QLineEdit::textChanged, this, &StoragePage::updateStatus);
    layout->addWidget(commandLine);
    layout->addStretch();
    updateStatus();
}

void StoragePage::updateStatus()
{
    StoreLocation location;
    QString error;
    if (!StoreLocation::parseDefault(m_commandLineStore->text(), location, &error))
        m_commandLineStatus->setText(tr("Not usable: %1").arg(error));
    else
        m_commandLineStatus->setText(tr("The command line uses %1.").arg(location.displayUrl()));
}

QString StoragePage::commandLineStatus() const
{
    return m_commandLineStatus->text();
}

QString StoragePage::problem() const
{
    if (m_keep->isChecked()) {
        const QString folder = m_folder->text().trimmed();
        if (folder.isEmpty())
            return tr("Storage: choose the folder to keep stores in.");
        if (!QDir::isAbsolutePath(folder))
            return tr("Storage: the folder '%1' is not an absolute path.").arg(folder);
        if (QFileInfo(folder).exists() && !QFileInfo(folder).isDir())
            return tr("Storage: '%1' is a file, not a folder.").arg(folder);
    }
    StoreLocation location;
    QString error;
    if (!StoreLocation::parseDefault(m_commandLineStore->text(), location, &error))
        return tr("Storage: the command line's store: %1").arg(error);
    return QString();
}

void StoragePage::save() const
{
    QSettings settings;
    settings.setValue(keepStoresSetting(), m_keep->isChecked());
    settings.setValue(desktopFolderSetting(), QDir::cleanPath(m_folder->text().trimmed()));
    settings.setValue(StoreLocation::defaultStoreSetting(), m_commandLineStore->text().trimmed());
}

} // namespace BucketScope
