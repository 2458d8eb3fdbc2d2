namespace SecretChat.Security.Identity;

/// <summary>An identity or known-peers file cannot be used. The message names the file and the problem in one sentence.</summary>
public sealed class IdentityException : Exception
{
    public IdentityException(string path, string message) : base(message) => FilePath = path;

    public IdentityException(string path, string message, Exception innerException) : base(message, innerException) => FilePath = path;

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }
}
