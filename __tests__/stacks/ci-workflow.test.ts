/**
 * The plan-review workflow (.github/workflows/infrastructure.yml): pull requests never see a write-capable key,
 * and what main applies is the plan that was reviewed, not a fresh one. Read as text, job by job (actionlint, in
 * `make test`, checks the workflow's syntax).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const text = readFileSync(resolve(__dirname, '..', '..', '.github', 'workflows', 'infrastructure.yml'), 'utf8');
const jobsText = text.slice(text.indexOf('\njobs:\n'));
const jobs = Object.fromEntries(
  [...jobsText.matchAll(/^ {2}([\w-]+):\n([\s\S]*?)(?=^ {2}[\w-]+:\n|(?![\s\S]))/gm)].map((m) => [m[1], m[2]]),
);

describe('CI plan review', () => {
  it('has a test, a plan and an apply job', () => {
    expect(Object.keys(jobs)).toEqual(['test', 'plan', 'apply']);
  });

  it('plans with read-only identities only: the deploy key and role appear in no job a pull request runs', () => {
    expect(jobs.plan).toContain('secrets.SNOWFLAKE_PLAN_PRIVATE_KEY');
    expect(jobs.plan).toContain('secrets.AWS_PLAN_ROLE_ARN');
    for (const job of ['test', 'plan']) {
      expect(jobs[job]).not.toMatch(/secrets\.SNOWFLAKE_PRIVATE_KEY\b/);
      expect(jobs[job]).not.toContain('AWS_DEPLOY_ROLE_ARN');
    }
    expect(jobs.plan).toContain('deploy --plan-only --out plans');
  });

  it('saves the plans with the stacks they were made from, and applies exactly those behind the production environment', () => {
    expect(jobs.plan).toMatch(/actions\/upload-artifact@v4[\s\S]*plans\/[\s\S]*cdktf\.out\/stacks\//);
    expect(jobs.apply).toMatch(/^ {4}environment: production$/m);
    expect(jobs.apply).toMatch(/^ {4}if: github\.event_name == 'push' && github\.ref == 'refs\/heads\/main'$/m);
    expect(jobs.apply).toContain('secrets.SNOWFLAKE_PRIVATE_KEY }}');
    expect(jobs.apply).toMatch(/actions\/download-artifact@v4[\s\S]*name: terraform-plans-\$\{\{ github\.sha \}\}/);
    expect(jobs.apply).toContain('deploy --apply-plans plans --skip-synth');
    // Nothing that would plan again at apply time.
    expect(jobs.apply).not.toMatch(/cdktf deploy|--auto-approve|terraform (-chdir=\S+ )?plan\b|--plan-only/);
  });
});
