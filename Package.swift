// swift-tools-version:6.2
import PackageDescription

// Warnings fail the build of keyhold's own targets when KEYHOLD_WARNINGS_AS_ERRORS is set (CI's `make test` sets
// it). Not unconditional: a newer compiler brings new warnings, and a developer's plain `swift build` must still
// work there. Dependencies never get the setting, so their warnings stay theirs.
let ownSettings: [SwiftSetting] =
  Context.environment["KEYHOLD_WARNINGS_AS_ERRORS"] == nil ? [] : [.treatAllWarnings(as: .error)]
// SE-0458 strict memory safety: every unsafe construct is marked `unsafe` (the targets that hold pointers and C calls
// closest to untrusted bytes and secrets).
let strictSettings: [SwiftSetting] = ownSettings + [.strictMemorySafety()]

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
    .target(name: "KeyholdSystem", swiftSettings: ownSettings),
    // Pure: SSH wire types, agent messages, framing. Imports nothing.
    .target(name: "SSHWire", swiftSettings: strictSettings),
    // Every primitive, once: guarded memory, libsodium, digests and HMAC, base64, hex, DER. Any layer may import it.
    .target(name: "KeyholdCrypto", dependencies: ["CSodium", "COpenSSL"], swiftSettings: strictSettings),
    // Keys, signing, fingerprints, key files. Only its OpenSSL folder and KeyholdCrypto call C crypto libraries.
    .target(name: "SSHKeys", dependencies: ["SSHWire", "KeyholdCrypto", "COpenSSL"], swiftSettings: ownSettings),
    // Vault file format and the atomic, locked store.
    .target(
      name: "Vault", dependencies: ["SSHKeys", "SSHWire", "KeyholdCrypto", "KeyholdSystem"], swiftSettings: ownSettings),
    // Pure reconciliation of local keys and cloud listings.
    .target(name: "Audit", swiftSettings: ownSettings),
    // EC2 Query API client, SigV4, credentials and endpoints.
    .target(name: "Cloud", dependencies: ["KeyholdCrypto"], swiftSettings: ownSettings),
    // The use cases: sync, the audit store, import, create/upload/delete, retire/restore/purge. Commands call one
    // function here and print its result.
    .target(
      name: "KeyholdCore",
      dependencies: [
        "SSHKeys", "SSHWire", "KeyholdCrypto", "KeyholdSystem", "Vault", "Audit", "Cloud", "HostBook", "SignatureLog",
      ],
      swiftSettings: ownSettings),
    // The host books beside the vault: which keys opened which servers, and the instances the last sync saw.
    .target(name: "HostBook", dependencies: ["KeyholdCrypto", "KeyholdSystem"], swiftSettings: ownSettings),
    // The signature log: records, their JSON lines, rotation, and the writer thread behind a bounded queue.
    .target(name: "SignatureLog", swiftSettings: ownSettings),
    // ssh-agent protocol server. Does not import Vault: the CLI hands it a key source.
    .target(
      name: "AgentServer", dependencies: ["SSHWire", "SSHKeys", "KeyholdCrypto", "KeyholdSystem", "CPeerCred"],
      swiftSettings: ownSettings),

    .executableTarget(
      name: "keyhold",
      dependencies: [
        "SSHWire", "KeyholdCrypto", "KeyholdSystem", "SSHKeys", "Vault", "Audit", "Cloud", "KeyholdCore", "AgentServer",
        "HostBook", "CPeerCred", "SignatureLog",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ], swiftSettings: ownSettings),
    .executableTarget(
      name: "keyhold-bench",
      dependencies: [
        "SSHWire", "KeyholdCrypto", "KeyholdSystem", "SSHKeys", "Vault", "Audit", "Cloud", "KeyholdCore", "AgentServer",
        "TestSupport", "SignatureLog",
      ], swiftSettings: ownSettings),
    // Holds one PKCS #11 provider in its own process for the agent (AgentServer's PKCS11Provider spawns it).
    .executableTarget(
      name: "keyhold-pkcs11-helper", dependencies: ["SSHWire", "CPKCS11", "KeyholdCrypto"], swiftSettings: ownSettings),
    // libFuzzer entry point; a no-op in a plain build (see Makefile `fuzz`).
    .executableTarget(
      name: "FuzzDecoders",
      dependencies: ["SSHWire", "KeyholdCrypto", "SSHKeys", "Vault", "Audit", "Cloud", "HostBook", "SignatureLog"],
      swiftSettings: ownSettings),

    // Helpers shared by the tests and the benchmarks: child processes, moto_server, a loopback EC2 stub.
    .target(
      name: "TestSupport", dependencies: ["KeyholdSystem"], path: "Tests/TestSupport", swiftSettings: ownSettings),
    .testTarget(
      name: "KeyholdSystemTests", dependencies: ["KeyholdSystem", "TestSupport"], swiftSettings: ownSettings),
    .testTarget(name: "SSHWireTests", dependencies: ["SSHWire"], swiftSettings: ownSettings),
    .testTarget(name: "KeyholdCryptoTests", dependencies: ["KeyholdCrypto"], swiftSettings: ownSettings),
    .testTarget(
      name: "SSHKeysTests", dependencies: ["SSHKeys", "SSHWire", "KeyholdCrypto", "TestSupport"],
      swiftSettings: ownSettings),
    .testTarget(
      name: "VaultTests", dependencies: ["Vault", "SSHKeys", "SSHWire", "KeyholdCrypto", "TestSupport"],
      swiftSettings: ownSettings),
    .testTarget(name: "AuditTests", dependencies: ["Audit"], swiftSettings: ownSettings),
    .testTarget(
      name: "HostBookTests", dependencies: ["HostBook", "KeyholdCrypto", "TestSupport"], swiftSettings: ownSettings),
    .testTarget(
      name: "CloudTests", dependencies: ["Cloud", "KeyholdCrypto", "TestSupport"], swiftSettings: ownSettings),
    .testTarget(
      name: "KeyholdCoreTests",
      dependencies: ["KeyholdCore", "HostBook", "Vault", "Audit", "Cloud", "SSHKeys", "KeyholdCrypto", "TestSupport"],
      swiftSettings: ownSettings),
    .testTarget(
      name: "AgentServerTests", dependencies: ["AgentServer", "SSHKeys", "SSHWire", "KeyholdCrypto", "TestSupport"],
      swiftSettings: ownSettings),
    .testTarget(
      name: "PKCS11Tests", dependencies: ["AgentServer", "SSHKeys", "SSHWire", "KeyholdCrypto", "TestSupport"],
      swiftSettings: ownSettings),
    .testTarget(
      name: "CLITests", dependencies: ["SSHKeys", "SSHWire", "KeyholdCrypto", "TestSupport"], swiftSettings: ownSettings
    ),
    .testTarget(
      name: "SignatureLogTests", dependencies: ["SignatureLog", "AgentServer", "SSHWire", "TestSupport"],
      swiftSettings: ownSettings),
    // The real agent binary against hostile clients: parallel guessers, thousands of idle connections, log injection.
    .testTarget(
      name: "HostileClientTests",
      dependencies: ["SSHKeys", "SSHWire", "KeyholdCrypto", "KeyholdSystem", "TestSupport"],
      swiftSettings: ownSettings),
  ],
  swiftLanguageModes: [.v6]
)
