/// The vault: private keys encrypted at rest in one file.
public enum VaultModule {}
