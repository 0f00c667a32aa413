"""Every text the engine itself sends (flow texts live in conversations/*.yaml).

Placeholders: {program} and {plan} (program settings), {name} (the parent's name or
nickname), others as named next to each text. Keep each text within 2 SMS segments.
"""

from __future__ import annotations

from bot.engine.texts import N_

# Plan names programs use (PLAN_NAME); listed here so the catalogs translate them.
PLAN_NAMES = (N_("Plan of Safe Care"), N_("Family Care Plan"), N_("Plan of Care"))

WELCOME_BACK = N_("Welcome back{name_part}! Let's pick up where you left off.")
OPTED_OUT = N_(
    "You're unsubscribed from {program} and won't get more texts. "
    "Reply START if you ever want to come back."
)
OPTED_IN = N_("Welcome back to {program}! Your answers are still here.")
HELP = N_(
    "{program} helps you build your {plan}. Reply MENU to see your plan, BACK to undo, "
    "SKIP to skip, TALK to reach a person, STOP to stop texts. Msg & data rates may apply."
)
# At the welcome, in HELP and before the first sharing question: a Plan of Safe Care is
# support, not a child-protection plan, and parents need to hear it plainly.
SUPPORT_NOT_REPORT = N_(
    "This plan is for support. Your answers do not go to child protective services."
)
# The same on a shared phone, where a glance must not read "child protective services".
SUPPORT_NOT_REPORT_SHARED = N_(
    "This plan is for support, not a report. Your answers go only to the people you choose."
)
# On a shared phone, by text: the question coming up names private things, so it waits.
# CHAT and HERE are keywords (HERE is translated; CHAT is the same word in every language).
PRIVATE_QUESTIONS = N_(
    "The next questions are private. Reply CHAT for a private link to answer them there, "
    "or HERE to answer by text. Or MENU to pick another part."
)
# HELP after STOP: how to come back, and a person is still there in a crisis.
HELP_OPTED_OUT = N_(
    "{program} helps you build your {plan}. You're unsubscribed, so we send no texts. "
    "Reply START to come back. In a crisis, call or text 988, or call 911."
)
DECLINED = N_("OK, we won't text you. If you change your mind, reply START.")
NOT_STARTED = N_("Want to start your {plan}? Reply YES to begin.")

HINT_PREFIX = N_("Sorry, I didn't get that.")
EXAMPLE_PREFIX = N_("Let's try again.")
# A reply that fits two or more choices equally: one short question, not "didn't get that".
DID_YOU_MEAN = N_("Did you mean {choices}? Reply its number.")
OR = N_("or")
WAY_OUT_SKIP = N_("Reply SKIP to move on, or TALK to reach a person.")
WAY_OUT_TALK = N_("Reply TALK to reach a person, or try once more.")

HINT_YES_NO = N_("Please reply YES or NO.")
HINT_CHOICE = N_("Please reply with the number of your answer.")
HINT_MULTI = N_("Reply with one or more numbers, like 1, 3.")
HINT_DATE = N_("Please reply with a date, like 3/14.")
HINT_TIME = N_("Please reply with a time, like 10am or 2:30pm.")
HINT_PHONE = N_("Please reply with a 10-digit phone number.")
HINT_ZIP = N_("Please reply with your 5-digit ZIP code.")
HINT_NUMBER = N_("Please reply with a number from {minimum} to {maximum}.")
HINT_TEXT = N_("Please reply with a few words.")
TOO_LONG = N_("That's a bit long. Please keep it under {max_length} letters.")
DATE_TOO_EARLY = N_("That date is too far back. Please check it and try again.")
DATE_TOO_LATE = N_("That date is too far ahead. Please check it and try again.")
TIME_PASSED = N_("That time has passed or is too soon for a reminder.")
# Translators: a day and time ahead, but every moment a reminder could go before it is in
# the hours we never text (quiet hours, e.g. 8:00 PM to 9:00 AM) or already past.
NO_TIME_TO_REMIND = N_(
    "We can't text you a reminder in time for that. We don't send texts from {start} to {end}."
)
# Translators: said once a reminder is made; {when} is one of the "today around" phrases below.
# Keep it discreet: it shows on a lock screen.
REMINDER_PROMISE = N_("Got it. We'll text you a reminder {when}.")
# Translators: as above, with two reminders before the same day and time.
REMINDER_PROMISE_TWO = N_("Got it. We'll text you a reminder {earlier}, and another {later}.")
# Translators: when a reminder goes, by the parent's own calendar. {time} looks like "6:00 PM"
# and is never in quiet hours; {date} looks like "Tue, Mar 14".
PROMISE_TODAY = N_("today around {time}")
PROMISE_TOMORROW = N_("tomorrow around {time}")
PROMISE_ON = N_("on {date} around {time}")
# Translators: a weekly reminder: {every} is one of the "every Monday around" phrases below,
# {starting} one of the "starting today" ones (the day the first reminder goes).
REMINDER_WEEKLY = N_("Got it. We'll text you a reminder {every}, {starting}.")
REMINDER_WEEKLY_TWO = N_(
    "Got it. We'll text you a reminder {earlier}, and another {later}, {starting}."
)
# Translators: a weekly reminder whose first week differs (a time already gone): said after
# the first week's "Got it. We'll text you a reminder today around 7:45 PM."
REMINDER_THEN_WEEKLY = N_("After that, we'll text you one {every}.")
REMINDER_THEN_WEEKLY_TWO = N_("After that, we'll text you one {earlier}, and another {later}.")
STARTING_TODAY = N_("starting today")
STARTING_TOMORROW = N_("starting tomorrow")
STARTING_ON = N_("starting {date}")
# Translators: {time} as above. Monday first, as date.weekday() counts.
EVERY_WEEKDAY = (
    N_("every Monday around {time}"),
    N_("every Tuesday around {time}"),
    N_("every Wednesday around {time}"),
    N_("every Thursday around {time}"),
    N_("every Friday around {time}"),
    N_("every Saturday around {time}"),
    N_("every Sunday around {time}"),
)
UNKNOWN_ZIP = N_("I couldn't find that ZIP code. Please check it and try again.")
PICK_MANY = N_("(Pick one or more, like 1, 3.)")

SKIP_REQUIRED = N_("We need this one to build your plan, so it can't be skipped.")
SKIPPED = N_("OK, skipped.")
NOTHING_TO_UNDO = N_("There's nothing to go back to yet.")
REVIEW_OUTSIDE = N_("REVIEW works inside a part of your plan. Reply MENU to pick one.")
REVIEW_EMPTY = N_("Nothing answered in this part yet.")
REVIEW_CHANGE = N_("To change one, reply CHANGE and its number, like CHANGE 2.")
CHANGE_WHICH = N_(
    "Which one? Reply CHANGE and its number, like CHANGE 2. Reply REVIEW to see them."
)
CHANGE_ONLY_IN_PLAN = N_("You can change answers once you've started your plan.")

RESTART_CONFIRM = N_(
    "Start your plan over? This clears all your answers. "
    "Reply YES to start over or NO to keep going."
)
RESTART_KEPT = N_("OK, your answers are kept.")
RESTARTED = N_("OK, we're starting fresh.")

TALK = N_(
    "Thanks. I've asked someone from your care team to text you. If this is an emergency, call 911."
)
# After a YES to "someone from your team to reach out": the on-call person is told now.
HELP_ASKED = N_("Thank you. I've asked someone from your care team to reach out to you soon.")

MENU_HEADER = N_("Your plan: {done} of {total} parts done. Reply a number:")
MENU_DONE_MARK = N_("{number}. {title} (done)")
MENU_ITEM = N_("{number}. {title}")
MENU_FINISH_ONBOARDING = N_("Let's finish a few first questions, then you'll get the menu.")

READBACK_HEADER = N_("{title}:")
READBACK_ITEM = N_("{number}. {label}: {answer}")
# Shared-phone mode: an answer that is not texted back, and a part named by its number.
READBACK_ITEM_HIDDEN = N_("{number}. (kept private)")
READBACK_ITEMS_HIDDEN = N_("{first}-{last}. (kept private)")
PART_NUMBER = N_("Part {number}")
# A care-team role whose name says treatment or recovery, on a shared phone: {number} is the
# number the parent picked it by in the sharing question.
TEAM_MEMBER_NUMBER = N_("Care team member {number}")
# An organization or local service whose name says treatment, recovery and the like, on a
# shared phone: {number} is its place in the care-team directory (bot/engine/discretion.py).
ORGANIZATION_NUMBER = N_("Organization {number}")
LOCAL_SERVICE = N_("A local service")
# Before the parent picks who may see a part (42 CFR 2.31): who receives it, through whom,
# what it holds, and the date. {organizations}: names from the care-team directory.
CONSENT_WHO = N_(
    "Today is {date}. If shared, this part goes to {organizations}, through {intermediary}."
)
# Translators: the intermediary that routes the plan and who runs it, both names as written.
INTERMEDIARY_OPERATED_BY = N_("{intermediary}, operated by {operator}")
CONSENT_WHAT = N_("What it holds:")
# Translators: the date of a consent, in numbers as people write it here ({day}/{month}/...).
CONSENT_DATE = N_("{month}/{day}/{year}")
# The sharing question once the parent has picked people for an earlier part: the roles are
# named, not listed again. Another answer (numbers, "nurse") picks others; unclear: the list.
CONSENT_SAME = N_("Share with the same people ({who})? Reply YES, NO for no one, or who you want.")
CONSENT_TEAM_UNKNOWN = N_("the care team that serves your ZIP code")
# On a shared phone the consent texts name no treatment or recovery: what a part holds by its
# title (the sensitive part by number), and the full details a DETAILS or MY PLAN away.
CONSENT_WHAT_DISCREET = N_("It has your answers in {part}.")
# Kept short: with the sharing question after it, one SMS segment.
CONSENT_DETAILS_OFFER = N_("Full details: reply DETAILS, or MY PLAN for a private link.")
# The one line before the full consent details (DETAILS) on a shared phone.
DETAILS_WARNING = N_(
    "Heads up: the details below are private. Anyone who reads this phone can see them."
)
CONSENT_NOTHING_YET = N_("nothing yet")
# One question asked in two parts: a new answer here changes the other one to match.
SAME_CHANGED = N_("You answered this in {title} too. I changed it there to match.")
SEE_PRIVATE = N_("Text MY PLAN for private details.")
READBACK_CONFIRM = N_("Is this right? Reply YES or a number to change.")
READBACK_CHANGE_PICK = N_("Which one should we change? Reply its number.")
ANSWER_SKIPPED = N_("(skipped)")
ANSWER_PRIVATE = N_("(saved, kept private)")
ANSWER_YES = N_("Yes")
ANSWER_NO = N_("No")

NEXT_OFFER = N_("Next up: {title}. Start it now? Reply YES, or MENU to pick another part.")
# The same on a shared phone, by text, when the part opens with private questions: HERE starts
# it by text at once (one text less than YES and then HERE), CHAT sends the private link.
NEXT_OFFER_PRIVATE = N_(
    "Next up: {title}. It starts with private questions: reply CHAT for a private link, "
    "HERE to answer by text, or MENU for another part."
)
LATER = N_("OK. Reply MENU any time to pick up where you left off.")
OFFER_AGAIN = N_("Start {title} now? Reply YES or NO. Or TALK to reach a person.")
MENU_AGAIN = N_(
    "Reply the number of a part, like 2. Or MENU to see the list, or TALK to reach a person."
)
NO_MORE_SECTIONS = N_(
    "Every part of your {plan} is done. Thank you! Reply MENU to look at or change any part."
)

SHARING_NONE = N_(
    "You haven't shared any part of your plan. Part 8 of the MENU is where you choose."
)
SHARING_HEADER = N_("Who can see your plan now:")
SHARING_ITEM = N_("{number}. {who}: {parts}")
SHARING_ORGANIZATIONS = N_("By organization:")
SHARING_HOW_TO_STOP = N_(
    "To stop sharing with one, reply its number. To stop all sharing, reply STOP SHARING."
)
SHARING_STOPPED_ONE = N_(
    "Done. {who} will not get any part of your plan from now on. Reply SHARING to check."
)
SHARING_WHICH_PART = N_("{who} sees these parts. Reply the number of one to stop sharing:")
SHARING_ALL_PARTS = N_("All of them")
SHARING_STOPPED_PART = N_("Done. {who} will not get {part} from now on. Reply SHARING to check.")
SHARING_STOPPED = N_(
    "Done. We stopped sharing your plan with everyone, starting now. Your answers are still saved."
)
# A part the parent stopped for one organization can be shared with it again: a new yes,
# asked with who gets it, what it holds and the date (the consent details) before it.
SHARING_STOPPED_HEADER = N_("You stopped sharing:")
SHARING_HOW_TO_RESUME = N_("To share a stopped part again, reply its number.")
SHARING_WHICH_STOPPED = N_("Which part should {who} get again? Reply its number:")
SHARING_RESUME_TERMS = N_(
    "It lasts until your baby turns 1, unless you stop it sooner. "
    "Your care does not depend on saying yes."
)
SHARING_RESUME_ASK = N_(
    "Share {part} with {who} again? Reply YES to share it, or NO to keep it stopped."
)
SHARING_RESUMED = N_("Done. {who} will get {part} again, starting now. Reply SHARING to check.")
SHARING_RESUME_KEPT = N_("OK, nothing changed. {who} still won't get {part}.")

REMINDER_CONFIRMED = N_("Thanks, you're all set. See you then!")
REMINDER_RESCHEDULE = N_("OK. Someone from your team will text you to find a better time.")
REMINDER_RIDE = N_("OK. We'll let your team know you need a ride.")
REMINDERS_OFF = N_(
    "OK, no more reminders. Your plan is still here. Reply REMINDERS ON to turn them back on."
)
REMINDERS_ON = N_("OK, reminders are back on.")
DETAILED_ON = N_(
    "OK. Reminders will now say what the visit is and where. Anyone who sees your phone "
    "may read them. Reply SIMPLE REMINDERS to go back."
)
DETAILED_OFF = N_("OK. Reminders will only say the day and time.")
DETAILED_SHARED = N_(
    "Private mode is on, so reminders only say the day and time. Reply PRIVATE OFF first."
)
PRIVATE_ON = N_(
    "Private mode is on. Texts will leave out private details, and private questions wait "
    "for a private chat link. Reply MY PLAN to see your details, or PRIVATE OFF to turn this off."
)
PRIVATE_OFF = N_(
    "Private mode is off. Texts may show your answers. Reply PRIVATE ON to turn it back on."
)

NEEDS_NONE = N_(
    "You have not told me about any needs yet. They show up here as you fill in your plan."
)
NEEDS_HEADER = N_("What you need help with:")
NEEDS_ITEM = N_("{number}. {need} - {status}")
NEEDS_HOW = N_("Reply a number when one is done or you no longer need it.")
NEED_ASK_DONE = N_("For {need}: reply 1 if you have it now, or 2 if you no longer need it.")
# "Your team will see it" only when the part is shared (NeedChanged goes out under consent).
NEED_DONE = N_("Great! I marked it done. Your team will see it.")
NEED_NOT_NEEDED = N_("OK, I marked that you no longer need it. Your team will see it.")
NEED_DONE_UNSHARED = N_(
    "Great! I marked it done. Your team won't see it unless you share this part."
)
NEED_NOT_NEEDED_UNSHARED = N_(
    "OK, I marked that you no longer need it. Your team won't see it unless you share this part."
)
# NEEDS or SAVED when what is left out came from a private answer: MY PLAN's page leaves
# those out too, so this line points nowhere.
KEPT_PRIVATE = N_("Some needs are kept private, so I don't text them.")
NEED_STATUS = {
    "have": N_("you have it"),
    "need": N_("looking for help"),
    "referred": N_("your team is on it"),
    "connected": N_("connected"),
    "declined": N_("not needed"),
}

OFFERS_HEADER = N_("Near you, for {need}:")
OFFERS_HOW = N_("To save one to your plan, reply its number.")
OFFER_SAVED = N_(
    "Saved to your plan. Reply another number to save one more, or SAVED to see your list."
)
SAVED_NONE = N_(
    "You have no saved places yet. When I share places that can help, reply a number to save one."
)
SAVED_HEADER = N_("Places you saved:")
NUMBER_NOT_LISTED = N_("That number is not on the list.")

PLAN_LINK_COMING = N_("I'll text you a private link to see and print your plan.")
RECORD_COMING = N_("I'll text you the list of who has seen your plan. It may take a minute.")
ERASE_CONFIRM = N_(
    "This deletes your whole plan and all your answers, and tells your team it was deleted. "
    "It can't be undone. Delete everything? Reply YES or NO."
)
ERASE_CONFIRM_AGAIN = N_("Are you sure? Reply DELETE to delete everything now, or NO to keep it.")
ERASE_KEPT = N_("OK, nothing was deleted.")
ERASED = N_(
    "Your data is being deleted now. Thank you for using {program}. "
    "Text HI any time to start again."
)

LANGUAGE_PICK = N_("Which language? Reply with a number.")
# Translators: confirm, in this catalog's language, that texts now come in it.
LANGUAGE_SET = N_("OK, I'll text you in English.")
# Translators: sent next to the first text to offer this catalog's language, in that language.
LANGUAGE_OFFER = N_("For English, reply ENGLISH.")

CRISIS_EMERGENCY = N_(
    "If someone overdosed, can't wake up or isn't breathing: call 911 now. "
    "Use naloxone (Narcan) if you have it. Poison Control: 1-800-222-1222."
)
# The same on a shared phone: no word of overdose, naloxone or substances; 911, 988 and the
# on-call person (CRISIS_FOLLOW) still come.
CRISIS_EMERGENCY_PRIVATE = N_(
    "If someone can't wake up or isn't breathing: call 911 now. "
    "For help any time, call or text 988."
)
CRISIS_SUICIDE = N_(
    "You matter, and help is here now. Call or text 988 any time, day or night. "
    "If you are in danger, call 911."
)
# Said to a parent who fears hurting the baby and to one whose child someone else is hurting
# (stop 35: the learned reader names the child's concern over the violence the rules met first
# in "my bf kicked my toddler"), so the second sentence speaks to the other case.
CRISIS_BABY = N_(
    "If you feel you might hurt your baby, put the baby in a safe place like a crib and step away. "
    "If someone else is hurting your child, get your child somewhere safe. "
    "Call or text 988 now. If your child is in danger, call 911."
)
CRISIS_VIOLENCE = N_(
    "You deserve to be safe. Call 1-800-799-7233 or text START to 88788 any time. "
    "If you are in danger now, call 911."
)
# Who is told and why, in plain words: after "I might hurt my baby" a bare "I've let your care
# team know" reads as a report.
CRISIS_FOLLOW = N_(
    "I've told the person on call for your care team, so they can check on you and help. "
    "When you're ready, we can keep going."
)
# After STOP: the only reply to a crisis text. They stay opted out.
CRISIS_FOLLOW_OPTED_OUT = N_(
    "I've told the person on call for your care team, so they can check on you and help. "
    "You are still opted out. Reply START to get texts again."
)
# A return to use: no shame, the door to a person, and staying alive (tolerance drops fast).
RELAPSE_OFFER = N_(
    "Thank you for telling me. A slip can be part of recovery. It doesn't erase your progress. "
    "Want someone from your care team to text you? Reply YES or NO. "
    "Please don't use alone, and keep naloxone near."
)
# The same on a shared phone: nothing that names use, recovery or naloxone.
RELAPSE_OFFER_PRIVATE = N_(
    "Thank you for telling me. You are not alone, and this doesn't erase your progress. "
    "Want someone from your care team to text you? Reply YES or NO."
)
RELAPSE_DECLINED = N_("OK. I'm here for you. Reply TALK any time to reach a person.")

# What a need is called in texts ("Places near you that may help with {need}").
NEED_LABELS = {
    "car_seat": N_("a car seat"),
    "case_management": N_("a case manager"),
    "child_care": N_("child care"),
    "counseling": N_("counseling"),
    "early_intervention": N_("early intervention"),
    "feeding": N_("feeding your baby"),
    "food": N_("food"),
    "home_visiting": N_("home visits"),
    # Translators: a household member's substance use, said discreetly (no drug words).
    "household_support": N_("support for someone at home"),
    "housing": N_("a place to live"),
    "insurance": N_("health insurance"),
    "legal": N_("legal help"),
    "mental_health": N_("stress or feeling down"),
    "money": N_("money and bills"),
    "naloxone": N_("naloxone (Narcan)"),
    "pain_plan": N_("a pain plan for birth"),
    "parenting_support": N_("parenting support"),
    "pediatric_care": N_("a doctor for your baby"),
    "peer_support": N_("peer support"),
    "phone": N_("a working phone"),
    "postpartum_care": N_("care after birth"),
    "prenatal_care": N_("care while pregnant"),
    "safe_sleep": N_("a safe place for baby to sleep"),
    "safe_storage": N_("locking up medicines"),
    "safety": N_("feeling safe at home"),
    "transportation": N_("rides"),
    "treatment": N_("treatment"),
}
