// SPDX-License-Identifier: GPL-3.0-or-later
#include "MySqlTlsRelay.h"

#include <QLocalServer>
#include <QLocalSocket>
#include <QMutexLocker>
#include <QSemaphore>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTimer>

namespace BucketScope {

namespace {

// MySQL protocol: capability flag of a client that will switch to TLS after the SSL request packet.
constexpr quint32 kClientSsl = 0x0800;
// The SSL request is the first 32 bytes of the handshake response: capabilities, max packet, charset,
// filler (MariaDB's extended capabilities in the filler's last four bytes).
constexpr int kSslRequestSize = 32;
// Bytes a side may have waiting to be sent before the relay stops reading from the other one.
constexpr qint64 kHighWater = 4 << 20;
constexpr qint64 kReadBuffer = 1 << 20;

// Takes one whole packet (4-byte header + payload) off the front of `buffer`.
bool takePacket(QByteArray &buffer, QByteArray &packet)
{
    if (buffer.size() < 4)
        return false;
    const auto byte = [&buffer](int i) { return quint32(quint8(buffer.at(i))); };
    const qsizetype length = qsizetype(byte(0) | byte(1) << 8 | byte(2) << 16);
    if (buffer.size() < 4 + length)
        return false;
    packet = buffer.left(4 + length);
    buffer.remove(0, 4 + length);
    return true;
}

QByteArray packetOf(const QByteArray &payload, quint8 sequence)
{
    QByteArray packet(4, '\0');
    const qsizetype length = payload.size();
    packet[0] = char(length & 0xff);
    packet[1] = char((length >> 8) & 0xff);
    packet[2] = char((length >> 16) & 0xff);
    packet[3] = char(sequence);
    return packet + payload;
}

class RelaySession : public QObject
{
public:
    using Fail = std::function<void(const QString &why, bool unreachable)>;

    RelaySession(const MySqlTlsRelay::Settings &settings, QLocalServer *listener, QAtomicInt *encrypted,
                 QAtomicInt *accepted, Fail fail)
        : m_settings(settings), m_listener(listener), m_encrypted(encrypted), m_accepted(accepted),
          m_fail(std::move(fail))
    {
        m_deadline.setSingleShot(true);
        connect(&m_deadline, &QTimer::timeout, this, [this] {
            if (m_phase == Phase::Closing)
                return finish();
            if (m_phase == Phase::Auth || m_phase == Phase::ClientResponse)
                return giveUp(QStringLiteral("%1 did not finish the login in time (%2 s)")
                                  .arg(server())
                                  .arg(m_settings.connectTimeoutSeconds),
                              false);
            giveUp(QStringLiteral("%1 did not answer in time (%2 s)")
                       .arg(server())
                       .arg(m_settings.connectTimeoutSeconds),
                   true);
        });
        connect(m_listener, &QLocalServer::newConnection, this, &RelaySession::accept);
        m_server.setReadBufferSize(kReadBuffer);
        connect(&m_server, &QSslSocket::connected, this, [this] {
            // The driver's commands are small request/answer round trips: Nagle's delay on each of
            // them doubled a server ingest's time through the relay.
            m_server.setSocketOption(QAbstractSocket::LowDelayOption, 1);
            m_phase = Phase::Greeting;
        });
        connect(&m_server, &QSslSocket::readyRead, this, &RelaySession::fromServer);
        connect(&m_server, &QSslSocket::bytesWritten, this, &RelaySession::pumpToServer);
        connect(&m_server, &QSslSocket::encryptedBytesWritten, this, &RelaySession::pumpToServer);
        connect(&m_server, &QSslSocket::sslErrors, this, &RelaySession::checkCertificate);
        connect(&m_server, &QSslSocket::encrypted, this, &RelaySession::handshakeDone);
        connect(&m_server, &QSslSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
            if (error == QAbstractSocket::RemoteHostClosedError && m_phase == Phase::Relay)
                return; // the end of a session: disconnected() closes the other side
            if (m_phase == Phase::Relay || m_phase == Phase::Closing)
                return close();
            if (error == QAbstractSocket::SslHandshakeFailedError || m_phase == Phase::Handshake) {
                const QString why = m_certificateErrors.isEmpty()
                                        ? m_server.errorString()
                                        : m_certificateErrors.join(QStringLiteral("; "));
                return giveUp(QStringLiteral("the TLS handshake with %1 failed: %2").arg(server(), why),
                              false);
            }
            // Worded as the driver words its own unknown host (MySqlConnection, error 2005); like it,
            // still "unreachable": mid-ingest, a lookup that fails is the network being away.
            if (error == QAbstractSocket::HostNotFoundError)
                return giveUp(QStringLiteral("the host name '%1' is unknown (%2)")
                                  .arg(m_settings.host, m_server.errorString()),
                              true);
            giveUp(QStringLiteral("cannot reach %1: %2").arg(server(), m_server.errorString()),
                   m_phase == Phase::Connecting);
        });
        connect(&m_server, &QSslSocket::disconnected, this, [this] {
            if (m_phase != Phase::Relay && m_phase != Phase::Closing)
                return giveUp(QStringLiteral("%1 closed the connection before TLS was set up").arg(server()),
                              false);
            pumpToClient();
            close();
        });
    }

    ~RelaySession() override
    {
        // The members go before QObject's own destructor would cut these connections: a socket
        // closing as it is destroyed must not call back into a half-destroyed session.
        QObject::disconnect(&m_server, nullptr, this, nullptr);
        if (m_client)
            QObject::disconnect(m_client, nullptr, this, nullptr);
    }

private:
    enum class Phase
    {
        WaitingForClient,
        Connecting,
        Greeting,
        ClientResponse,
        Handshake,
        Auth,
        Relay,
        Closing
    };

    QString server() const { return QStringLiteral("%1:%2").arg(m_settings.host).arg(m_settings.port); }

    void accept()
    {
        QLocalSocket *client = m_listener->nextPendingConnection();
        if (!client)
            return;
        if (m_client) { // one relay, one connection
            client->abort();
            client->deleteLater();
            return;
        }
        m_listener->close();
        m_accepted->storeRelease(1);
        m_client = client;
        m_client->setReadBufferSize(kReadBuffer);
        connect(m_client, &QLocalSocket::readyRead, this, &RelaySession::fromClient);
        connect(m_client, &QLocalSocket::bytesWritten, this, &RelaySession::pumpToClient);
        connect(m_client, &QLocalSocket::disconnected, this, [this] {
            pumpToServer();
            close();
        });
        m_phase = Phase::Connecting;
        m_deadline.start(m_settings.connectTimeoutSeconds * 1000);
        m_server.connectToHost(m_settings.host, m_settings.port);
    }

    void fromServer()
    {
        if (m_phase == Phase::Relay || m_phase == Phase::Closing)
            return pumpToClient();
        m_serverBytes += m_server.readAll();
        QByteArray packet;
        while (m_phase != Phase::Relay && takePacket(m_serverBytes, packet)) {
            if (m_phase == Phase::Greeting)
                greeting(packet);
            else if (m_phase == Phase::Auth)
                authAnswer(packet);
            else
                return giveUp(QStringLiteral("%1 sent data before TLS was set up").arg(server()), false);
            if (m_phase == Phase::Closing)
                return;
        }
        if (m_phase == Phase::Relay && !m_serverBytes.isEmpty()) {
            m_client->write(m_serverBytes);
            m_serverBytes.clear();
        }
    }

    void greeting(QByteArray packet)
    {
        const QByteArray payload = packet.mid(4);
        if (!payload.isEmpty() && quint8(payload.at(0)) == 0xff) {
            // The server refuses the connection (too many connections, host blocked): the driver
            // reads why from the error packet itself, and nothing follows it.
            m_client->write(packet);
            return close();
        }
        // protocol version, server version (NUL-ended), connection id, 8 scramble bytes, filler,
        // then the low two bytes of the capabilities.
        const qsizetype versionEnd = payload.indexOf('\0', 1);
        const qsizetype capabilities = versionEnd + 1 + 4 + 8 + 1;
        if (payload.isEmpty() || payload.at(0) != 10 || versionEnd < 0 || payload.size() < capabilities + 2)
            return giveUp(QStringLiteral("%1 does not speak the MySQL protocol").arg(server()), false);
        const quint32 flags =
            quint32(quint8(payload.at(capabilities))) | quint32(quint8(payload.at(capabilities + 1))) << 8;
        if (!(flags & kClientSsl))
            return giveUp(QStringLiteral("%1 does not offer TLS; enable it on the server (ssl_cert, ssl_key) "
                                         "or connect with ssl-mode=disabled")
                              .arg(server()),
                          false);
        // The driver is told the server has no TLS, so it talks plain text to this relay, which is
        // the one that encrypts.
        packet[4 + capabilities + 1] =
            char(quint8(packet.at(4 + capabilities + 1)) & ~quint8(kClientSsl >> 8));
        m_client->write(packet);
        m_phase = Phase::ClientResponse;
    }

    void fromClient()
    {
        if (m_phase == Phase::Relay || m_phase == Phase::Closing)
            return pumpToServer();
        m_clientBytes += m_client->readAll();
        if (m_phase == Phase::Handshake)
            return; // answered once the server's certificate is accepted (handshakeDone)
        QByteArray packet;
        while (m_phase != Phase::Relay && takePacket(m_clientBytes, packet)) {
            if (m_phase == Phase::ClientResponse) {
                handshakeResponse(packet);
            } else if (m_phase == Phase::Auth) {
                // The relay's SSL request took a sequence number: the client's are one behind.
                m_server.write(packetOf(packet.mid(4), quint8(quint8(packet.at(3)) + 1)));
            } else {
                return giveUp(QStringLiteral("the MySQL driver spoke before the server's TLS was set up"),
                              false);
            }
            if (m_phase == Phase::Closing)
                return;
        }
    }

    void handshakeResponse(const QByteArray &packet)
    {
        QByteArray payload = packet.mid(4);
        if (payload.size() < kSslRequestSize)
            return giveUp(QStringLiteral("the MySQL driver sent a handshake this relay cannot read"), false);
        payload[1] = char(quint8(payload.at(1)) | quint8(kClientSsl >> 8));
        const quint8 sequence = quint8(packet.at(3));
        m_response = packetOf(payload, quint8(sequence + 1));

        const QList<QSslCertificate> authorities = QSslCertificate::fromPath(m_settings.caFile, QSsl::Pem);
        if (authorities.isEmpty())
            return giveUp(QStringLiteral("no certificate could be read from %1").arg(m_settings.caFile),
                          false);
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        configuration.setCaCertificates(authorities); // this CA only, not the system's
        configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
        configuration.setProtocol(QSsl::TlsV1_2OrLater);
        m_server.setSslConfiguration(configuration);
        m_server.setPeerVerifyName(m_settings.host);
        m_server.write(packetOf(payload.left(kSslRequestSize), sequence));
        m_phase = Phase::Handshake;
        m_server.startClientEncryption();
    }

    void checkCertificate(const QList<QSslError> &errors)
    {
        bool onlyTheName = true;
        for (const QSslError &error : errors) {
            m_certificateErrors << error.errorString();
            onlyTheName = onlyTheName && error.error() == QSslError::HostNameMismatch;
        }
        // verify-ca: a certificate the CA signed is enough, whatever host it names.
        if (onlyTheName && !m_settings.verifyHostName) {
            m_certificateErrors.clear();
            m_server.ignoreSslErrors();
        }
    }

    void handshakeDone()
    {
        if (m_phase != Phase::Handshake)
            return;
        // The authentication that follows is bounded by the same deadline: a server that accepts TLS
        // and then says nothing must not hold the connection open for ever.
        m_deadline.start(m_settings.connectTimeoutSeconds * 1000);
        m_encrypted->storeRelease(1);
        m_phase = Phase::Auth;
        m_server.write(m_response);
        m_response.clear();
        // Whatever the driver sent meanwhile belongs to the authentication.
        if (!m_clientBytes.isEmpty())
            fromClient();
    }

    void authAnswer(const QByteArray &packet)
    {
        const QByteArray payload = packet.mid(4);
        m_client->write(packetOf(payload, quint8(quint8(packet.at(3)) - 1)));
        // OK or error ends the authentication; after it the sequence numbers start again at 0 per
        // command, the same on both sides, and bytes pass through untouched.
        if (!payload.isEmpty() && (quint8(payload.at(0)) == 0x00 || quint8(payload.at(0)) == 0xff)) {
            m_deadline.stop();
            m_phase = Phase::Relay;
            if (!m_clientBytes.isEmpty()) {
                m_server.write(m_clientBytes);
                m_clientBytes.clear();
            }
        }
    }

    // Back-pressure: while the other side has kHighWater bytes waiting (plain or already encrypted),
    // the relay stops reading, so a large upload or result does not pile up in memory. When closing,
    // what is left is passed on whole: no more will come.
    void pumpToServer()
    {
        if (!m_client || (m_phase != Phase::Relay && m_phase != Phase::Closing))
            return;
        const bool bounded = m_phase == Phase::Relay;
        while (m_client->bytesAvailable() > 0 && m_server.state() == QAbstractSocket::ConnectedState &&
               (!bounded || m_server.bytesToWrite() + m_server.encryptedBytesToWrite() < kHighWater))
            m_server.write(m_client->read(kReadBuffer));
    }

    void pumpToClient()
    {
        if (!m_client || (m_phase != Phase::Relay && m_phase != Phase::Closing))
            return;
        const bool bounded = m_phase == Phase::Relay;
        while (m_server.bytesAvailable() > 0 && m_client->state() == QLocalSocket::ConnectedState &&
               (!bounded || m_client->bytesToWrite() < kHighWater))
            m_client->write(m_server.read(kReadBuffer));
    }

    void giveUp(const QString &why, bool unreachable)
    {
        if (m_phase == Phase::Closing)
            return;
        m_fail(why, unreachable);
        if (m_client)
            m_client->abort();
        m_server.abort();
        close();
    }

    // Lets both sides finish sending, bounded, then ends the relay's thread.
    void close()
    {
        if (m_phase != Phase::Closing) {
            m_phase = Phase::Closing;
            m_deadline.start(5000);
            if (m_client && m_client->state() != QLocalSocket::UnconnectedState)
                m_client->disconnectFromServer();
            if (m_server.state() != QAbstractSocket::UnconnectedState)
                m_server.disconnectFromHost();
        }
        if ((!m_client || m_client->state() == QLocalSocket::UnconnectedState) &&
            m_server.state() == QAbstractSocket::UnconnectedState)
            finish();
    }

    void finish()
    {
        m_deadline.stop();
        QThread::currentThread()->quit();
    }

    const MySqlTlsRelay::Settings m_settings;
    QLocalServer *m_listener;
    QAtomicInt *m_encrypted;
    QAtomicInt *m_accepted;
    Fail m_fail;
    QLocalSocket *m_client = nullptr;
    QSslSocket m_server;
    QTimer m_deadline;
    Phase m_phase = Phase::WaitingForClient;
    QByteArray m_serverBytes, m_clientBytes, m_response;
    QStringList m_certificateErrors;
};

} // namespace

MySqlTlsRelay::MySqlTlsRelay(const Settings &settings) : m_settings(settings) {}

std::unique_ptr<MySqlTlsRelay> MySqlTlsRelay::listen(const Settings &settings, QString *error)
{
    if (!QSslSocket::supportsSsl()) {
        if (error)
            *error = QStringLiteral("TLS is not available to Qt here (%1)")
                         .arg(QSslSocket::sslLibraryVersionString());
        return nullptr;
    }
    std::unique_ptr<MySqlTlsRelay> relay(new MySqlTlsRelay(settings));
    // QTemporaryDir makes its folder readable by this user only: nobody else can reach the socket.
    // A Unix socket's path has room for about 100 bytes: a deep TMPDIR falls back to /tmp.
    relay->m_folder = std::make_unique<QTemporaryDir>();
    if (relay->m_folder->isValid() &&
        relay->m_folder->filePath(QStringLiteral("mysql.sock")).toLocal8Bit().size() > 100)
        relay->m_folder = std::make_unique<QTemporaryDir>(QStringLiteral("/tmp/bucketscope-relay-XXXXXX"));
    if (!relay->m_folder->isValid()) {
        if (error)
            *error = QStringLiteral("cannot make a folder for the TLS relay: %1")
                         .arg(relay->m_folder->errorString());
        return nullptr;
    }
    relay->m_socketPath = relay->m_folder->filePath(QStringLiteral("mysql.sock"));
    QSemaphore listening;
    relay->m_listening = &listening;
    relay->start();
    listening.acquire();
    relay->m_listening = nullptr;
    if (!relay->m_listenError.isEmpty()) {
        if (error)
            *error = QStringLiteral("cannot listen for the MySQL driver on %1: %2")
                         .arg(relay->m_socketPath, relay->m_listenError);
        return nullptr;
    }
    return relay;
}

MySqlTlsRelay::~MySqlTlsRelay()
{
    // The driver has closed its end by now: let the relay pass its last packet (COM_QUIT) on and end
    // the TLS session, or the server logs an aborted connection. Bounded, in case the server is gone.
    if (m_accepted.loadAcquire() == 0 || !wait(QDeadlineTimer(1000))) {
        quit();
        wait();
    }
}

QString MySqlTlsRelay::failure() const
{
    const QMutexLocker lock(&m_mutex);
    return m_failure;
}

bool MySqlTlsRelay::unreachable() const
{
    const QMutexLocker lock(&m_mutex);
    return m_unreachable;
}

void MySqlTlsRelay::fail(const QString &why, bool unreachable)
{
    const QMutexLocker lock(&m_mutex);
    if (m_failure.isEmpty()) {
        m_failure = why;
        m_unreachable = unreachable;
    }
}

void MySqlTlsRelay::run()
{
    QLocalServer listener;
    listener.setSocketOptions(QLocalServer::UserAccessOption);
    if (!listener.listen(m_socketPath)) {
        m_listenError = listener.errorString();
        m_listening->release();
        return;
    }
    RelaySession session(m_settings, &listener, &m_encrypted, &m_accepted,
                         [this](const QString &why, bool unreachable) { fail(why, unreachable); });
    m_listening->release();
    exec();
}

} // namespace BucketScope
