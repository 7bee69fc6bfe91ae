import { settingList } from './env-schema';

export const CONFIG_TABLE_START = '<!-- config-table:start -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The README's configuration table, printed from the schema (npm run config-table). */
export function configTable(): string {
  const rows = settingList().map(({ name, doc }) => `| \`${name}\` | ${cell(doc.default)} | ${cell(doc.description)} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** What README.md holds between the markers, without the blank lines around it; null without markers. */
export function tableInReadme(readme: string): string | null {
  const start = readme.indexOf(CONFIG_TABLE_START);
  const end = readme.indexOf(CONFIG_TABLE_END);
  if (start < 0 || end < start) return null;
  return readme.slice(start + CONFIG_TABLE_START.length, end).trim();
}
