import ArgumentParser

/// The `keyhold` command: a local keystore and SSH agent for cloud key pairs.
@main
struct Keyhold: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keyhold",
    abstract: "A local keystore and SSH agent for cloud key pairs.",
    version: KeyholdVersion.string,
    subcommands: Keyhold.allSubcommands
  )
}

/// The release version.
enum KeyholdVersion {
  static let string = "0.1.0"
}
