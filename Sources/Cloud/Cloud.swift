/// The EC2 Query API client.
public enum CloudModule {}
