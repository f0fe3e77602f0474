// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QRadioButton;

namespace BucketScope {

// The Storage page of the Preferences: where the desktop app keeps the logs it loads (a temporary store
// deleted on close, the default, or stores kept in a folder and reused when the same logs are opened
// again; see KeptStore), and the store the command line uses when no --db is given
// (StoreLocation::configuredDefault reads the same setting, so the app and cron agree).
class StoragePage : public QWidget
{
    Q_OBJECT
public:
    explicit StoragePage(QWidget *parent = nullptr);

    // The first field that cannot be saved, empty when none.
    QString problem() const;
    // Writes the settings; call only when problem() is empty.
    void save() const;

    // The folder the desktop keeps its stores in, empty for a temporary store per opening.
    static QString savedDesktopFolder();
    static QString keepStoresSetting() { return QStringLiteral("storage/desktopKeepsStores"); }
    static QString desktopFolderSetting() { return QStringLiteral("storage/desktopFolder"); }
    // Suggested when no folder was chosen yet: …/share/BucketScope/BucketScope/stores on Linux.
    static QString suggestedFolder();

    // For tests and keyboard-free use.
    QRadioButton *temporaryButton() const { return m_temporary; }
    QRadioButton *keepButton() const { return m_keep; }
    QLineEdit *folderEdit() const { return m_folder; }
    QLineEdit *commandLineStoreEdit() const { return m_commandLineStore; }
    QString commandLineStatus() const;

private:
    void updateStatus();

    QRadioButton *m_temporary = nullptr;
    QRadioButton *m_keep = nullptr;
    QLineEdit *m_folder = nullptr;
    QLineEdit *m_commandLineStore = nullptr;
    QLabel *m_commandLineStatus = nullptr;
};

} // namespace BucketScope
