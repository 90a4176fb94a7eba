"""Words shown for the codes of the dispatch work (incident types, response levels, unmet reasons).

Lazy gettext strings with English msgids, as in ``inventory.vocab``; templates reach them through
``dispatch_label(kind, code)``.
"""
from flask_babel import lazy_gettext as _l

INCIDENT_TYPES = {
    "flood": _l("Flood"),
    "earthquake": _l("Earthquake"),
    "forest_fire": _l("Forest fire"),
    "geological_hazard": _l("Geological hazard"),
    "other": _l("Other"),
}

LEVELS = {
    "I": _l("Level I"),
    "II": _l("Level II"),
    "III": _l("Level III"),
    "IV": _l("Level IV"),
}

UNMET_REASONS = {
    "no_usable_stock": _l("No usable stock"),
    "no_route_in_time": _l("No route in time"),
    "held_by_floors": _l("Held by reserve floors"),
    "shared_shortage": _l("Short of stock, shared fairly"),
}

UNMET_HINTS = {
    "no_usable_stock": _l("No depot holds usable units of this item."),
    "no_route_in_time": _l("Depots hold the item, but none of them may reach this site within the time target."),
    "held_by_floors": _l("The depots that can reach this site hold only their reserve floors."),
    "shared_shortage": _l("All reachable stock is allocated; the shortage is shared fairly among the sites."),
}

NORM_BASES = {
    "person": _l("Per person"),
    "household": _l("Per household"),
    "site": _l("Per site"),
}

# Planning settings: their labels on the settings page, and the unit each is given in.
SETTINGS = {
    "days": _l("Days of consumables"),
    "household_size": _l("Household size (people)"),
    "min_shelf_days": _l("Shelf life left on arrival (days)"),
    "fair_share_steps": _l("Fair-share steps"),
    "vehicle_capacity_kg": _l("Vehicle capacity (kg)"),
    "vehicle_capacity_m3": _l("Vehicle capacity (m³)"),
    "detour_factor": _l("Detour factor"),
    "speed_county_kmh": _l("Speed from a county depot (km/h)"),
    "speed_town_kmh": _l("Speed from a town station (km/h)"),
    "speed_village_kmh": _l("Speed from a village point (km/h)"),
    "handling_minutes": _l("Loading and unloading (minutes)"),
}

# The messages of the dispatch services' domain errors, by their stable message code, in the words of
# a page. ``common.http`` fills them in with the error's parameters on error pages; the forms put them
# next to their fields. The JSON API keeps the English message and names the code.
ERROR_MESSAGES = {
    # response levels
    "levels_incomplete": _l("Give exactly the levels I, II, III and IV."),
    "level_min_people_negative": _l("Level %(level)s: the threshold cannot be negative."),
    "level_time_target_not_positive": _l("Level %(level)s: the time target must be more than 0."),
    "level_floor_draw_out_of_range": _l("Level %(level)s: the share of the reserve floors is from 0 to 100 percent."),
    "level_thresholds_out_of_order": _l("Level %(level)s is more severe than level %(milder)s: its threshold needs "
                                        "at least as many displaced people."),
    # planning settings
    "setting_not_a_number": _l("Enter a number (a whole number where days, steps or minutes are asked for)."),
    "setting_not_positive": _l("Must be more than 0."),
    "setting_fair_share_steps_range": _l("A whole number from 1 to 100."),
    "setting_detour_below_one": _l("1 or more: roads are never shorter than a straight line."),
    "setting_negative": _l("Cannot be negative."),
    "setting_household_size_range": _l("A household is 1 to %(max)s people."),
    "setting_unknown": _l("There is no setting %(name)s."),
    # norms
    "norm_basis_unknown": _l("%(item)s: choose per person, per household or per site."),
    "norm_quantity_not_positive": _l("%(item)s: the quantity must be more than 0."),
    "norm_quantity_too_large": _l("%(item)s: the quantity is at most %(max)s."),
    "norm_incident_types_unknown": _l("%(item)s: choose all incident types or some of them."),
    "norm_levels_unknown": _l("%(item)s: choose at least one response level."),
    "norm_source_too_long": _l("%(item)s: the source is at most 300 characters."),
    "norm_note_too_long": _l("The note is at most 200 characters."),
    "norm_item_twice": _l("Item %(item)s has two norms."),
    "norm_absent": _l("The current norms have no norm for item %(item)s."),
    "norm_item_mismatch": _l("The norm is for another item than %(item)s."),
    "norm_unchanged": _l("The norm for %(item)s is already so: nothing to change."),
    "norm_version_unknown": _l("There is no norms version %(version)s."),
    "norm_version_already_current": _l("Version %(version)s is already the current one."),
    "item_unknown": _l("No item has the code %(item)s."),
    # reserve floors
    "depot_unknown": _l("No depot has the code %(depot)s."),
    "floor_negative": _l("A floor is a whole number of units, 0 or more."),
    "floor_too_large": _l("A floor is at most %(max)s units."),
    # shelters
    "shelter_code_invalid": _l("A code is 1 to 32 ASCII letters, digits, '-', '_' or '.', starting with a letter or "
                               "digit."),
    "shelter_code_taken": _l("The code %(code)s is already used by a shelter or a depot."),
    "shelter_unknown": _l("No shelter has the code %(code)s."),
    "shelter_name_needed": _l("Give the shelter a name of at most 100 characters."),
    "shelter_town_not_town": _l("%(town)s is not a town station."),
    "shelter_lat_out_of_range": _l("Latitude is from -90 to 90."),
    "shelter_lon_out_of_range": _l("Longitude is from -180 to 180."),
    "shelter_capacity_negative": _l("Capacity is a whole number of people, 0 or more."),
    "shelter_address_too_long": _l("The address is at most 200 characters."),
    # CSV files
    "file_not_utf8": _l("The file is not UTF-8 text (byte %(byte)s): save it as “CSV UTF-8”."),
    "file_header_missing": _l("The first row must name the columns %(columns)s; missing: %(missing)s."),
    "file_no_rows": _l("The file has a header row but no data rows."),
    "file_unreadable": _l("The file cannot be read: %(problem)s"),
    "file_too_many_rows": _l("At most %(max)s rows per file."),
    "file_not_whole_number": _l("Row %(row)s of the file, column %(column)s: “%(value)s” is not a whole number of "
                                "%(low)s or more."),
    "file_has_nul": _l("The file holds a NUL character (byte %(byte)s): it is not CSV text. Save it as CSV UTF-8."),
    "file_number_too_large": _l("Row %(row)s of the file, column %(column)s: %(value)s is more than %(max)s."),
    "file_depot_unknown": _l("Row %(row)s of the file: no depot has the code %(depot)s."),
    "file_item_unknown": _l("Row %(row)s of the file: no item has the code %(item)s."),
    "file_site_unknown": _l("Row %(row)s of the file: no village point or shelter has the code %(site)s."),
    "file_route_twice": _l("Row %(row)s of the file: %(depot)s → %(site)s appears twice."),
    "file_floor_twice": _l("Row %(row)s of the file: depot %(depot)s and item %(item)s appear twice (first in row "
                           "%(first)s)."),
    "file_floor_too_large": _l("Row %(row)s of the file, column quantity: a floor is at most %(max)s units."),
    "file_site_empty": _l("Row %(row)s of the file: the site code is empty."),
    # incidents
    "sites_empty": _l("Name at least one affected site with its displaced people."),
    "site_unknown": _l("No village point or shelter has the code %(site)s."),
    "site_not_village": _l("%(site)s is a county depot or town station; affected sites are village points or "
                           "shelters."),
    "site_twice": _l("The site %(site)s is named twice."),
    "site_people_out_of_range": _l("%(site)s: the people must be a whole number from 0 to %(max)s."),
    "incident_type_unknown": _l("Choose one of the incident types."),
    "incident_title_empty": _l("Give the incident a title."),
    "incident_unknown": _l("There is no incident %(incident)s."),
    "level_below_threshold": _l("The displaced people are below the level IV threshold: choose a level."),
    "level_unknown": _l("The level is I, II, III or IV."),
    "level_reason_needed": _l("The displaced people suggest level %(suggested)s: give a reason for level %(chosen)s."),
    "days_out_of_range": _l("Days of consumables are from 1 to 60."),
    "level_change_reason_needed": _l("Say why the level changes."),
    "level_change_reason_too_long": _l("The reason is at most 500 characters."),
    "level_unchanged": _l("The incident is already at level %(level)s: choose another level."),
    # plans
    "plan_none_yet": _l("Incident %(incident)s has no plan yet."),
    "nothing_to_plan_no_norms": _l("The norms ask for nothing at these sites for this incident type and level."),
    "nothing_to_plan_covered": _l("The sites' own points already hold everything the norms ask for: nothing needs "
                                  "to be sent."),
    "nothing_to_plan_no_stock": _l("No depot holds usable stock of any needed item: nothing can be sent."),
}

VOCABULARIES = {
    "incident_type": INCIDENT_TYPES,
    "level": LEVELS,
    "unmet_reason": UNMET_REASONS,
    "unmet_hint": UNMET_HINTS,
    "norm_basis": NORM_BASES,
    "setting": SETTINGS,
}


def dispatch_label(vocabulary: str, code: str | None) -> str:
    """The translated word for a stored code; an unknown code is shown as it is."""
    if code is None:
        return ""
    return VOCABULARIES[vocabulary].get(code, code)


from dispatch.adjust_vocab import ADJUST_MESSAGES  # noqa: E402  (plan adjustments keep their messages apart)

ERROR_MESSAGES.update(ADJUST_MESSAGES)

ERROR_MESSAGES.update({  # the incident page's query string (dispatch.incident_view.read_filters)
    "incident_filter_too_long": _l("The filter %(field)s is at most %(max)s characters."),
    "incident_filter_unknown_item": _l("This incident needs no item with the code %(code)s: choose an item from the "
                                       "list."),
    "incident_filter_bad_unmet": _l("“Only unmet” is 1 (only what is not met in full) or 0, not “%(value)s”."),
    "incident_filter_bad_page": _l("The page number %(field)s must be a whole number of 1 or more, not “%(value)s”."),
})
# The sources of the default norms (data/norms-default.csv), in the page's language: a source an
# administrator typed is shown as it is.
NORM_SOURCES = {
    '12 m² tent per household of about 3-4 (3.5 m² covered space per person, Sphere shelter standard 3)':
        _l('12 m² tent per household of about 3-4 (3.5 m² covered space per person, Sphere shelter standard 3)'),
    'one quilt per person (common Chinese practice; Sphere NFI standard 2: bedding per person)':
        _l('one quilt per person (common Chinese practice; Sphere NFI standard 2: bedding per person)'),
    'a blanket per person where quilts are short (Sphere NFI standard 2)':
        _l('a blanket per person where quilts are short (Sphere NFI standard 2)'),
    'one folding bed per person (common Chinese practice)':
        _l('one folding bed per person (common Chinese practice)'),
    'one family emergency kit per household':
        _l('one family emergency kit per household'),
    'one toilet per 20 people (Sphere WASH excreta standard)':
        _l('one toilet per 20 people (Sphere WASH excreta standard)'),
    'one lighting set per 100 people (assumption)':
        _l('one lighting set per 100 people (assumption)'),
    'a tarpaulin per household (assumption)':
        _l('a tarpaulin per household (assumption)'),
    '3 L drinking water per person per day in bottles (Sphere survival minimum 2.5-3 L of the 15 L total); 13.2 L per case':
        _l('3 L drinking water per person per day in bottles (Sphere survival minimum 2.5-3 L of the 15 L total); 13.2 L per case'),
    '3 servings per person per day, 24 per case (assumption; 2,100 kcal per person per day, Sphere food security standard)':
        _l('3 servings per person per day, 24 per case (assumption; 2,100 kcal per person per day, Sphere food security standard)'),
    'a reserve ration where cooking is impossible (assumption)':
        _l('a reserve ration where cooking is impossible (assumption)'),
    'one first-aid kit per 50 people (assumption)':
        _l('one first-aid kit per 50 people (assumption)'),
    'life jackets for evacuation crews and boats (assumption)':
        _l('life jackets for evacuation crews and boats (assumption)'),
    'a drainage pump per affected site (key-town kit)':
        _l('a drainage pump per affected site (key-town kit)'),
    'a generator per affected site (key-town kit)':
        _l('a generator per affected site (key-town kit)'),
    'a satellite phone per affected site (key-town kit)':
        _l('a satellite phone per affected site (key-town kit)'),
    'stretchers for rescue teams (assumption)':
        _l('stretchers for rescue teams (assumption)'),
}


def norm_source(text: str | None) -> str:
    """A norm's source: the default ones translated, others as typed."""
    return str(NORM_SOURCES.get(text, text or ""))
