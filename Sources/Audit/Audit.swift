/// Reconciles local keys with cloud key pair listings.
public enum AuditModule {}
