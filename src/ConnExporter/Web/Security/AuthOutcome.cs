namespace ConnExporter.Web.Security;

/// <summary>What a basic-auth check decided.</summary>
internal enum AuthOutcome
{
    /// <summary>A known user's password: serve the request.</summary>
    Authorized,

    /// <summary>No <c>Authorization: Basic</c> header, or one that does not decode: 401, not counted as a failure.</summary>
    NoCredentials,

    /// <summary>Wrong password or unknown user: 401, counted, and fed to the throttle.</summary>
    Denied,

    /// <summary>The client address became blocked while waiting for bcrypt: 429.</summary>
    Throttled,
}
