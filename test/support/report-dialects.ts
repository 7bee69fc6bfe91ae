// Says, at the end of the run, whether the PostgreSQL half of the suite ran.
let reported = false;

export default function reportDialects() {
  return () => {
    if (reported) return; // each project runs this setup; say it once
    reported = true;
    if (!process.env.TEST_POSTGRES_URL) {
      console.log('\nNote: TEST_POSTGRES_URL is not set, so the PostgreSQL half of the suite did not run (SQLite only).\n');
    } else {
      console.log(`\nRan against SQLite and PostgreSQL (${process.env.TEST_POSTGRES_URL.replace(/\/\/[^@]*@/, '//…@')}).\n`);
    }
  };
}
