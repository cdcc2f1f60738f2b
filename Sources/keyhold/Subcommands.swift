import ArgumentParser

extension Keyhold {
  /// Every subcommand, in the order `keyhold --help` lists them. Each command's file adds itself here.
  static let allSubcommands: [ParsableCommand.Type] = [
    KeygenCommand.self
  ]
}
