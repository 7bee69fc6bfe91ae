// Usage analytics: ApiKey.usage, Project.usage (usage-series.ts) and
// Project.topKeys (top-keys.ts), read from the usage log (src/usage/).
import './usage-series';
import './top-keys';
