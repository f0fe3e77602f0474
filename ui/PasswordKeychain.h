// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "store/StoreLocation.h"

#include <QString>

#include <functional>
#include <optional>

class QObject;

namespace BucketScope {

// Database passwords in the operating system's keychain (the Secret Service of GNOME Keyring or
// KWallet on Linux, the Keychain on macOS, the Credential Store on Windows), through QtKeychain. Only
// when the user opts in; BucketScope's own settings never hold a password. Every call returns at once
// and answers `done` on `context`'s thread once the keychain has (it may ask the user to unlock it);
// no answer comes when `context` is gone by then.
class PasswordKeychain
{
public:
    // The entry a server's password is kept under: "mysql://user@host:port/database".
    static QString accountOf(const StoreLocation &location);

    // The password, or none when the keychain holds none for the account; `error` says why the
    // keychain could not be asked (none running, locked, refused), empty otherwise.
    using ReadDone = std::function<void(const std::optional<QString> &password, const QString &error)>;
    using WriteDone = std::function<void(const QString &error)>;

    static void read(const QString &account, QObject *context, ReadDone done);
    static void write(const QString &account, const QString &password, QObject *context, WriteDone done);
    // Forgetting an account the keychain does not hold is no error.
    static void remove(const QString &account, QObject *context, WriteDone done);

    static QString serviceName(); // "BucketScope": the entries' service (or target) in the keychain
};

} // namespace BucketScope
