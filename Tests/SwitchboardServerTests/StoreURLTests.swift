import SwitchboardServer
import Testing

/// `--store` URLs as PostgreSQL users write them, and what is said about them without the password.
struct StoreURLTests {
    @Test func readsTheFormsOperatorsUse() throws {
        let tcp = try StoreURL("postgres://switchboard:s3cret@db.internal:6432/calls?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(tcp.endpoint == .tcp(host: "db.internal", port: 6432))
        #expect(tcp.username == "switchboard" && tcp.password == "s3cret" && tcp.database == "calls")
        #expect(tcp.sslMode == .verifyFull && tcp.rootCertificate == "/etc/ca.pem")
        let socket = try StoreURL("postgresql://app@/calls?host=/var/run/postgresql")
        #expect(socket.endpoint == .socket(directory: "/var/run/postgresql", port: 5432))
        #expect(socket.password == nil && socket.sslMode == .prefer)
        let encoded = try StoreURL("postgres://app:p%40ss%2Fword@localhost/calls")
        #expect(encoded.password == "p@ss/word")
    }

    @Test func theDescriptionNeverHoldsThePassword() throws {
        let url = try StoreURL("postgres://switchboard:s3cret@db.internal:6432/calls?sslmode=require")
        #expect(url.description == "postgres://switchboard:***@db.internal:6432/calls?sslmode=require")
        #expect("\(try StoreURL("postgres://app@/calls?host=/run/pg&port=5433"))" == "postgres://app@/calls?host=/run/pg&port=5433&sslmode=prefer")
    }

    @Test(arguments: [
        ("mysql://u@h/db", "scheme"),
        ("postgres://h/db", "no user name"),
        ("postgres://u@/db", "no host"),
        ("postgres://u@h:99999/db", "bad port"),
        ("postgres://u:pw-secret@h/db?sslmode=sometimes", "sslmode must be one of"),
        ("postgres://u:pw-secret@h/db?sslmode=require&sslrootcert=/ca.pem", "sslrootcert needs"),
        ("postgres://u:pw-secret@h/db?application=x", "unknown parameter 'application'"),
    ])
    func refusesWithAReasonThatHoldsNoPassword(url: String, reason: String) {
        do {
            _ = try StoreURL(url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
            #expect(!error.description.contains("pw-secret"))
        }
    }
}
