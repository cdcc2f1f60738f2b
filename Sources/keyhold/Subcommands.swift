import ArgumentParser

extension Keyhold {
  /// Every subcommand, in the order `keyhold --help` lists them. Each command's file adds itself here.
  static let allSubcommands: [ParsableCommand.Type] = [
    InitCommand.self,
    ImportCommand.self,
    ListCommand.self,
    ShowCommand.self,
    ExportCommand.self,
    RemoveCommand.self,
    RestoreCommand.self,
    PurgeCommand.self,
    RenameCommand.self,
    PasswdCommand.self,
    AgentCommand.self,
    UnlockCommand.self,
    LockCommand.self,
    StatusCommand.self,
    HostsCommand.self,
    LogCommand.self,
    SyncCommand.self,
    AuditCommand.self,
    SSHConfigCommand.self,
    KnownHostsCommand.self,
    CreateCommand.self,
    UploadCommand.self,
    DeleteCommand.self,
    PruneCommand.self,
    FingerprintCommand.self,
    KeygenCommand.self,
  ]
}
