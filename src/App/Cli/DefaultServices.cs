using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Cli.Settings;

namespace SecretChat.Cli;

/// <summary>The composition root's one line: which connector the real app uses.</summary>
internal static class DefaultServices
{
    public static IChatConnector CreateConnector(AppSettings settings) => new ChatConnector();
}
