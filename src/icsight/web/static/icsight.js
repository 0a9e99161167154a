// The design system's behaviour (menus, tables, details): an enhancement only, every page
// works without it.
import { initAll } from "./nhsuk/nhsuk-frontend.min.js";

initAll();
