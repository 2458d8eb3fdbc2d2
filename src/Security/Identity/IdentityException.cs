namespace SecretChat.Security.Identity;

/// <summary>An identity or known-peers file cannot be used. The message names the file and the problem in one sentence.</summary>
public sealed class IdentityException : Exception
{
    /// <summary>Creates the exception for the file at <paramref name="path"/>.</summary>
    /// <param name="path">The file at fault.</param>
    /// <param name="message">The file and the problem, in one sentence.</param>
    public IdentityException(string path, string message) : base(message) => FilePath = path;

    /// <summary>Creates the exception for the file at <paramref name="path"/>, with the I/O or format error behind it.</summary>
    /// <param name="path">The file at fault.</param>
    /// <param name="message">The file and the problem, in one sentence.</param>
    /// <param name="innerException">The error behind it.</param>
    public IdentityException(string path, string message, Exception innerException) : base(message, innerException) => FilePath = path;

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }
}
