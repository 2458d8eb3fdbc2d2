namespace SecretChat.Cli.Settings;

/// <summary>Settings or usage that cannot work; the message is one sentence for the user (exit code 2).</summary>
internal sealed class SettingsException : Exception
{
    public SettingsException(string message) : base(message) { }

    public SettingsException(string message, Exception innerException) : base(message, innerException) { }
}
