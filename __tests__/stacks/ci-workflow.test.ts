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
  it('has a test job, a pull-request plan, main\'s plan and an apply job', () => {
    expect(Object.keys(jobs)).toEqual(['test', 'plan-pr', 'plan', 'apply']);
  });

  it('plans pull requests against the state only, with identities that read nothing else', () => {
    expect(jobs['plan-pr']).toMatch(/^ {4}if: github\.event_name == 'pull_request'$/m);
    expect(jobs['plan-pr']).toContain('deploy --plan-only --pull-request --out plans');
    expect(jobs['plan-pr']).toContain('secrets.AWS_PR_PLAN_ROLE_ARN');
    expect(jobs['plan-pr']).toContain('secrets.SNOWFLAKE_PR_PLAN_PRIVATE_KEY }}');
    // No environment (its secrets are for main), and no key or role that can read the data or change anything.
    expect(jobs['plan-pr']).not.toMatch(/^ {4}environment:/m);
    for (const job of ['test', 'plan-pr']) {
      expect(jobs[job]).not.toMatch(/secrets\.(SNOWFLAKE_PRIVATE_KEY|SNOWFLAKE_PLAN_PRIVATE_KEY|AWS_DEPLOY_ROLE_ARN)\b/);
    }
    expect(jobs.test).not.toContain('secrets.');
  });

  it("makes main's plan in the production environment, with identities that can read every object it refreshes", () => {
    expect(jobs.plan).toMatch(/^ {4}if: github\.event_name != 'pull_request' && github\.ref == 'refs\/heads\/main'$/m);
    expect(jobs.plan).toMatch(/^ {4}environment: production$/m);
    expect(jobs.plan).toContain('secrets.AWS_DEPLOY_ROLE_ARN');
    expect(jobs.plan).toContain('secrets.SNOWFLAKE_PLAN_PRIVATE_KEY }}');
    expect(jobs.plan).not.toMatch(/secrets\.SNOWFLAKE_PRIVATE_KEY\b/);
    expect(jobs.plan).toMatch(/deploy --plan-only --out plans$/m);
    expect(jobs.plan).not.toContain('--pull-request');
  });

  it('saves the plans with the stacks they were made from, and applies exactly those behind the production environment', () => {
    expect(jobs.plan).toMatch(/actions\/upload-artifact@v4[\s\S]*plans\/[\s\S]*cdktf\.out\/stacks\//);
    expect(jobs.apply).toMatch(/^ {4}needs: plan$/m);
    expect(jobs.apply).toMatch(/^ {4}environment: production$/m);
    expect(jobs.apply).toMatch(/^ {4}if: github\.event_name == 'push' && github\.ref == 'refs\/heads\/main'$/m);
    expect(jobs.apply).toContain('secrets.SNOWFLAKE_PRIVATE_KEY }}');
    expect(jobs.apply).toContain('secrets.AWS_DEPLOY_ROLE_ARN');
    expect(jobs.apply).toMatch(/actions\/download-artifact@v4[\s\S]*name: terraform-plans-\$\{\{ github\.sha \}\}/);
    expect(jobs.apply).toContain('deploy --apply-plans plans --skip-synth');
    // Nothing that would plan again at apply time.
    expect(jobs.apply).not.toMatch(/cdktf deploy|--auto-approve|terraform (-chdir=\S+ )?plan\b|--plan-only/);
  });
});
