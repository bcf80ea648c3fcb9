// The `gradescope` lines of `npx grader --help` (here, so that the CLI loads the bundle builder only when asked).
export const GRADESCOPE_USAGE = `  npx grader gradescope [--exercise ID]... [--out FILE] [--allow-weak-sandbox]
                        [--hidden-visibility hidden|after_due_date|after_published] [--no-npm-cache]
      Builds the autograder zip for Gradescope (default autograder.zip): setup.sh, run_autograder,
      the kit with the hidden tests, and the kit's npm packages for offline install. Upload it as
      the assignment's autograder. (run_autograder calls "gradescope run"; setup.sh "gradescope verify".)`;
