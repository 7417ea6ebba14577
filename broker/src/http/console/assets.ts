/** Where the console's static files are served: govuk-frontend's CSS, fonts and images, and the console's own. */
export const ASSETS_PREFIX = '/assets/';
