import ArgumentParser
import SSHKeys

#if canImport(Glibc)
  import Glibc
#endif

/// The `keyhold` command: a local keystore and SSH agent for cloud key pairs.
@main
struct Keyhold: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keyhold",
    abstract: "A local keystore and SSH agent for cloud key pairs.",
    version: KeyholdVersion.string,
    subcommands: Keyhold.allSubcommands
  )

  /// Runs the command line; invoked as `ssh-agent` or `keyhold-agent` (a symlink), the binary is `keyhold agent`.
  static func main() {
    var arguments = Array(CommandLine.arguments.dropFirst())
    let invokedAs = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
    if invokedAs == "ssh-agent" || invokedAs == "keyhold-agent" { arguments.insert("agent", at: 0) }
    // RSA and ECDSA private numbers go to OpenSSL's locked secure heap. The agent sets it up itself after it
    // forks (memory locks are not inherited); every other command does it here, before any key is built.
    if arguments.first != "agent" { SecureMemory.enableOpenSSLSecureHeap() }
    main(arguments)
  }
}

/// The release version.
enum KeyholdVersion {
  static let string = "0.1.0"
}
