// Says, at the end of the run, whether the PostgreSQL half of the suite ran.
export default function reportDialects() {
  return () => {
    // Each project runs this setup (in one process, as separate modules): say it once.
    if (process.env.DIALECTS_REPORTED) return;
    process.env.DIALECTS_REPORTED = '1';
    if (!process.env.TEST_POSTGRES_URL) {
      console.log('\nNote: TEST_POSTGRES_URL is not set, so the PostgreSQL half of the suite did not run (SQLite only).\n');
    } else {
      console.log(`\nRan against SQLite and PostgreSQL (${process.env.TEST_POSTGRES_URL.replace(/\/\/[^@]*@/, '//…@')}).\n`);
    }
  };
}
