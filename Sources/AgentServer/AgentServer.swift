/// The ssh-agent protocol server.
public enum AgentServerModule {}
