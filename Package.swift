// swift-tools-version:6.0
import PackageDescription

// The module graph is a stack (see README "Architecture"): each target lists only what it may import.
let package = Package(
  name: "keyhold",
  products: [
    .executable(name: "keyhold", targets: ["keyhold"]),
    .executable(name: "keyhold-pkcs11-helper", targets: ["keyhold-pkcs11-helper"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    .systemLibrary(
      name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium",
      providers: [.apt(["libsodium-dev"])]),
    .systemLibrary(
      name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
      providers: [.apt(["libssl-dev"])]),
    .target(name: "CPeerCred", path: "Sources/CPeerCred"),
    // The PKCS #11 declarations keyhold-pkcs11-helper calls (a subset of the 2.40 headers) and dlopen(3).
    .systemLibrary(name: "CPKCS11", path: "Sources/CPKCS11"),

    // libc plumbing, once: durable atomic replace, bounded reads, write-all, Unix socket addresses, terminal prompts.
    .target(name: "KeyholdSystem"),
    // Pure: SSH wire types, agent messages, framing. Imports nothing.
    .target(name: "SSHWire"),
    // Every primitive, once: guarded memory, libsodium, digests and HMAC, base64, hex, DER. Any layer may import it.
    .target(name: "KeyholdCrypto", dependencies: ["CSodium", "COpenSSL"]),
    // Keys, signing, fingerprints, key files. Only its OpenSSL folder and KeyholdCrypto call C crypto libraries.
    .target(name: "SSHKeys", dependencies: ["SSHWire", "KeyholdCrypto", "COpenSSL"]),
    // Vault file format and the atomic, locked store.
    .target(name: "Vault", dependencies: ["SSHKeys", "SSHWire", "KeyholdCrypto", "KeyholdSystem"]),
    // Pure reconciliation of local keys and cloud listings.
    .target(name: "Audit"),
    // EC2 Query API client, SigV4, credentials and endpoints.
    .target(name: "Cloud", dependencies: ["KeyholdCrypto"]),
    // The use cases: sync, the audit store, import, create/upload/delete, retire/restore/purge. Commands call one
    // function here and print its result.
    .target(
      name: "KeyholdCore",
      dependencies: ["SSHKeys", "SSHWire", "KeyholdCrypto", "KeyholdSystem", "Vault", "Audit", "Cloud"]),
    // ssh-agent protocol server. Does not import Vault: the CLI hands it a key source.
    .target(name: "AgentServer", dependencies: ["SSHWire", "SSHKeys", "KeyholdCrypto", "CPeerCred"]),

    .executableTarget(
      name: "keyhold",
      dependencies: [
        "SSHWire", "KeyholdCrypto", "KeyholdSystem", "SSHKeys", "Vault", "Audit", "Cloud", "KeyholdCore", "AgentServer",
        "CPeerCred",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "keyhold-bench",
      dependencies: [
        "SSHWire", "KeyholdCrypto", "KeyholdSystem", "SSHKeys", "Vault", "Audit", "Cloud", "KeyholdCore", "AgentServer",
        "TestSupport",
      ]),
    // Holds one PKCS #11 provider in its own process for the agent (AgentServer's PKCS11Provider spawns it).
    .executableTarget(name: "keyhold-pkcs11-helper", dependencies: ["SSHWire", "CPKCS11", "COpenSSL"]),
    // libFuzzer entry point; a no-op in a plain build (see Makefile `fuzz`).
    .executableTarget(
      name: "FuzzDecoders", dependencies: ["SSHWire", "KeyholdCrypto", "SSHKeys", "Vault", "Audit", "Cloud"]),

    // Helpers shared by the tests and the benchmarks: child processes, moto_server, a loopback EC2 stub.
    .target(name: "TestSupport", dependencies: ["KeyholdSystem"], path: "Tests/TestSupport"),
    .testTarget(name: "KeyholdSystemTests", dependencies: ["KeyholdSystem", "TestSupport"]),
    .testTarget(name: "SSHWireTests", dependencies: ["SSHWire"]),
    .testTarget(name: "KeyholdCryptoTests", dependencies: ["KeyholdCrypto"]),
    .testTarget(name: "SSHKeysTests", dependencies: ["SSHKeys", "SSHWire", "KeyholdCrypto"]),
    .testTarget(name: "VaultTests", dependencies: ["Vault", "SSHKeys", "SSHWire", "KeyholdCrypto", "TestSupport"]),
    .testTarget(name: "AuditTests", dependencies: ["Audit"]),
    .testTarget(name: "CloudTests", dependencies: ["Cloud", "KeyholdCrypto", "TestSupport"]),
    .testTarget(
      name: "KeyholdCoreTests",
      dependencies: ["KeyholdCore", "Vault", "Audit", "Cloud", "SSHKeys", "KeyholdCrypto", "TestSupport"]),
    .testTarget(name: "AgentServerTests", dependencies: ["AgentServer", "SSHKeys", "SSHWire", "KeyholdCrypto"]),
    .testTarget(name: "PKCS11Tests", dependencies: ["AgentServer", "SSHKeys", "SSHWire", "KeyholdCrypto"]),
    .testTarget(name: "CLITests", dependencies: ["SSHKeys", "SSHWire", "KeyholdCrypto", "TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
