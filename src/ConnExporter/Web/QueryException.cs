namespace ConnExporter.Web;

/// <summary>A query parameter the API cannot use: answered 400 with this one line.</summary>
public sealed class QueryException(string message) : Exception(message);
