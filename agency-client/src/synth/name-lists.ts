/**
 * Embedded name lists, roughly in order of popularity within each list (sampling is Zipf-weighted by
 * rank). Sources: general knowledge of ONS baby-name tables and common UK surnames; no real person's
 * record is used. Unicode is deliberate (Siân, Zoë, Łukasz, Róisín): encoders must cope with it.
 */

export type Culture =
  | 'english'
  | 'scottish'
  | 'welsh'
  | 'irish'
  | 'pakistani_bangladeshi'
  | 'indian'
  | 'sikh'
  | 'polish'
  | 'african_caribbean'
  | 'chinese'
  | 'other_european';

/** Share of households by naming culture: a mixed English town. */
export const CULTURE_WEIGHTS: Readonly<Record<Culture, number>> = {
  english: 0.63,
  scottish: 0.05,
  welsh: 0.05,
  irish: 0.04,
  pakistani_bangladeshi: 0.06,
  indian: 0.03,
  sikh: 0.02,
  polish: 0.04,
  african_caribbean: 0.04,
  chinese: 0.015,
  other_european: 0.025,
};

export interface CultureNames {
  male: readonly string[];
  female: readonly string[];
  surnames: readonly string[];
}

/** English given names by birth cohort: who is called Margaret and who is called Olivia depends on age. */
export const ENGLISH_GIVEN = {
  maleOld: [
    'John', 'William', 'David', 'Peter', 'Michael', 'Robert', 'James', 'Brian', 'Kenneth', 'Ronald',
    'George', 'Alan', 'Colin', 'Derek', 'Keith', 'Geoffrey', 'Raymond', 'Roy', 'Dennis', 'Frank',
    'Harold', 'Leonard', 'Albert', 'Stanley', 'Norman', 'Trevor', 'Barry', 'Malcolm', 'Graham', 'Roger',
    'Terence', 'Anthony', 'Richard', 'Christopher', 'Stephen', 'Gordon', 'Arthur', 'Frederick', 'Ernest',
    'Walter', 'Donald', 'Douglas', 'Gerald', 'Clifford', 'Eric', 'Edward', 'Charles', 'Thomas', 'Philip',
    'Bernard', 'Leslie', 'Cyril', 'Reginald', 'Herbert', 'Sidney',
  ],
  maleMid: [
    'Paul', 'Mark', 'Andrew', 'David', 'Stephen', 'Richard', 'Michael', 'Christopher', 'Darren', 'Lee',
    'Jason', 'Gary', 'Wayne', 'Craig', 'Neil', 'Simon', 'Matthew', 'Daniel', 'Ian', 'Martin', 'Kevin',
    'Steven', 'Jonathan', 'Robert', 'James', 'John', 'Nicholas', 'Anthony', 'Scott', 'Carl', 'Dean',
    'Stuart', 'Adam', 'Gareth', 'Philip', 'Timothy', 'Russell', 'Shaun', 'Jamie', 'Ben', 'Benjamin',
    'Thomas', 'Samuel', 'Luke', 'Ryan', 'Ashley', 'Dominic', 'Nathan', 'Peter', 'Graham', 'Alexander',
    'Joseph', 'William', 'Edward',
  ],
  maleYoung: [
    'Oliver', 'Jack', 'Harry', 'Jacob', 'Charlie', 'Thomas', 'George', 'Oscar', 'James', 'William',
    'Noah', 'Alfie', 'Joshua', 'Leo', 'Archie', 'Ethan', 'Joseph', 'Freddie', 'Samuel', 'Alexander',
    'Logan', 'Daniel', 'Isaac', 'Max', 'Benjamin', 'Mason', 'Lucas', 'Edward', 'Harrison', 'Jake',
    'Dylan', 'Riley', 'Finley', 'Theo', 'Sebastian', 'Adam', 'Zachary', 'Arthur', 'Toby', 'Jayden',
    'Luke', 'Harvey', 'Matthew', 'Tyler', 'Henry', 'Lewis', 'Callum', 'Liam', 'Reuben', 'Elliot',
    'Louis', 'Kai', 'Rory', 'Tommy', 'Frankie', 'Ronnie', 'Albie', 'Teddy', 'Nathaniel', 'Gabriel',
  ],
  femaleOld: [
    'Margaret', 'Patricia', 'Mary', 'Jean', 'Joan', 'Dorothy', 'Elizabeth', 'Barbara', 'Sheila', 'Doreen',
    'Brenda', 'Maureen', 'Pauline', 'Irene', 'Joyce', 'Betty', 'Eileen', 'Kathleen', 'Valerie', 'Sylvia',
    'Audrey', 'Marjorie', 'Shirley', 'Christine', 'Janet', 'Susan', 'Ann', 'Anne', 'Gillian', 'Carol',
    'Sandra', 'Linda', 'Judith', 'Rosemary', 'Wendy', 'Hazel', 'Beryl', 'Edna', 'Gladys', 'Elsie',
    'Florence', 'Ivy', 'Vera', 'Winifred', 'Muriel', 'Phyllis', 'Josephine', 'Pamela', 'Rita', 'Frances',
    'Dorothea', 'Mavis', 'Marion', 'Evelyn',
  ],
  femaleMid: [
    'Sarah', 'Claire', 'Nicola', 'Emma', 'Lisa', 'Joanne', 'Michelle', 'Helen', 'Samantha', 'Karen',
    'Amanda', 'Rachel', 'Louise', 'Julie', 'Victoria', 'Rebecca', 'Kelly', 'Donna', 'Catherine',
    'Katherine', 'Deborah', 'Tracey', 'Alison', 'Jennifer', 'Elizabeth', 'Laura', 'Gemma', 'Hannah',
    'Lucy', 'Stephanie', 'Kerry', 'Zoë', 'Leanne', 'Natalie', 'Charlotte', 'Kirsty', 'Jacqueline', 'Dawn',
    'Angela', 'Sharon', 'Tracy', 'Hayley', 'Danielle', 'Kathryn', 'Jessica', 'Amy', 'Jodie', 'Suzanne',
    'Melanie', 'Lindsay', 'Rebekah', 'Caroline', 'Anna', 'Jane',
  ],
  femaleYoung: [
    'Olivia', 'Amelia', 'Isla', 'Ava', 'Emily', 'Isabella', 'Mia', 'Poppy', 'Ella', 'Lily', 'Evie',
    'Sophia', 'Sophie', 'Grace', 'Freya', 'Chloe', 'Charlotte', 'Ruby', 'Daisy', 'Florence', 'Phoebe',
    'Millie', 'Sienna', 'Jessica', 'Alice', 'Matilda', 'Evelyn', 'Harper', 'Ivy', 'Rosie', 'Willow',
    'Elsie', 'Isabelle', 'Zoë', 'Eleanor', 'Layla', 'Maisie', 'Scarlett', 'Erin', 'Megan', 'Holly',
    'Lola', 'Imogen', 'Esme', 'Harriet', 'Eliza', 'Aria', 'Luna', 'Hannah', 'Abigail', 'Amélie',
    'Margot', 'Beatrice', 'Violet',
  ],
} as const;

export const ENGLISH_SURNAMES: readonly string[] = [
  'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson',
  'Roberts', 'Robinson', 'Thompson', 'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall',
  'Lewis', 'Harris', 'Clarke', 'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill', 'Ward', 'Morris',
  'Moore', 'Clark', 'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen', 'James', 'Scott', 'Phillips',
  'Watson', 'Davis', 'Parker', 'Price', 'Bennett', 'Young', 'Griffiths', 'Mitchell', 'Kelly', 'Cook',
  'Carter', 'Richardson', 'Bailey', 'Collins', 'Bell', 'Shaw', 'Murphy', 'Miller', 'Cox', 'Richards',
  'Marshall', 'Anderson', 'Simpson', 'Ellis', 'Adams', 'Wilkinson', 'Foster', 'Chapman', 'Powell',
  'Webb', 'Rogers', 'Gray', 'Mason', 'Hunt', 'Campbell', 'Matthews', 'Owen', 'Palmer', 'Holmes', 'Mills',
  'Barnes', 'Knight', 'Lloyd', 'Butler', 'Russell', 'Barker', 'Fisher', 'Stevens', 'Jenkins', 'Murray',
  'Dixon', 'Harvey', 'Graham', 'Pearson', 'Fletcher', 'Walsh', 'Gibson', 'Howard', 'Andrews', 'Stewart',
  'Elliott', 'Reynolds', 'Saunders', 'Payne', 'Fox', 'Ford', 'Pearce', 'Day', 'Brooks', 'West',
  'Lawrence', 'Cole', 'Atkinson', 'Bradley', 'Spencer', 'Dawson', 'Ball', 'Burton', "O'Brien", 'Watts',
  'Rose', 'Booth', 'Perry', 'Ryan', 'Grant', 'Wells', 'Armstrong', 'Francis', 'Rees', 'Hayes', 'Hart',
  'Hudson', 'Newman', 'Barrett', 'Webster', 'Hunter', 'Gregory', 'Carr', 'Lowe', 'Page', 'Marsh',
  'Riley', 'Dunn', 'Woods', 'Parsons', 'Berry', 'Stone', 'Reid', 'Holland', 'Hawkins', 'Harding',
  'Porter', 'Robertson', 'Newton', 'Oliver', 'Reed', 'Kennedy', 'Williamson', 'Bird', 'Gardner', 'Dean',
  'Lane', 'Cooke', 'Bates', 'Henderson', 'Parry', 'Burgess', 'Bishop', 'Walton', 'Burns', 'Nicholson',
  'Shepherd', 'Ross', 'Cross', 'Long', 'Freeman', 'Warren', 'Nicholls', 'Hamilton', 'Byrne', 'Sutton',
  'McDonald', 'Yates', 'Hodgson', 'Robson', 'Curtis', 'Hopkins', "O'Connor", 'Harper', 'Coleman',
  'Watkins', 'Moss', 'McCarthy', 'Chambers', "O'Neill", 'Griffin', 'Sharp', 'Hardy', 'Wheeler', 'Potter',
  'Osborne', 'Johnston', 'Gordon', 'Doyle', 'Wallace', 'George', 'Jordan', 'Hutchinson', 'Rowe', 'Burke',
  'May', 'Pritchard', 'Gilbert', 'Willis', 'Higgins', 'Read', 'Miles', 'Stevenson', 'Stephenson',
  'Hammond', 'Arnold', 'Buckley', 'Walters', 'Hewitt', 'Barber', 'Nelson', 'Slater', 'Austin',
  'Sullivan', 'Whitehouse', 'Smyth', 'Thomson', 'Philips', 'Matthew', 'Fitzgerald', 'Ashworth',
  'Lloyd-Jones', 'Owen-Jones', 'Hamilton-Smith', 'Vaughan-Williams', 'Spencer-Churchill', 'Bonham Carter',
  'Scott Thomas', 'Rees-Mogg', 'Ashley-Cooper', 'Baden-Powell', 'Heathcote-Amory', 'Lloyd Webber',
];

export const CULTURES: Readonly<Record<Exclude<Culture, 'english'>, CultureNames>> = {
  scottish: {
    male: [
      'Callum', 'Fraser', 'Alistair', 'Alasdair', 'Hamish', 'Angus', 'Ewan', 'Euan', 'Craig', 'Ross',
      'Duncan', 'Iain', 'Lachlan', 'Finlay', 'Murdo', 'Ruaridh', 'Gregor', 'Struan', 'Kenneth', 'Calum',
      'Archie', 'Lewis', 'Jamie', 'Andrew', 'John',
    ],
    female: [
      'Eilidh', 'Kirsty', 'Morag', 'Catriona', 'Fiona', 'Isla', 'Ailsa', 'Iona', 'Mhairi', 'Shona',
      'Skye', 'Kirsteen', 'Elspeth', 'Moira', 'Rhona', 'Isobel', 'Kirstin', 'Ishbel', 'Marion', 'Heather',
    ],
    surnames: [
      'MacDonald', 'Campbell', 'Stewart', 'Robertson', 'MacLeod', 'McLeod', 'MacKenzie', 'McKenzie',
      'Fraser', 'Ross', 'Murray', 'Paterson', 'Anderson', 'Ferguson', 'Henderson', 'MacGregor',
      'McIntyre', 'MacKay', 'McLean', 'MacLean', 'Sinclair', 'Cameron', 'Grant', 'Munro', 'Kerr',
      'Buchanan', 'Drummond', 'Docherty', 'Gillespie', 'McDonald', 'Mackintosh', 'McAllister', 'Crawford',
    ],
  },
  welsh: {
    male: [
      'Rhys', 'Dafydd', 'Gethin', 'Iwan', 'Owain', 'Gareth', 'Huw', 'Emyr', 'Aled', 'Dylan', 'Ioan',
      'Llŷr', 'Rhodri', 'Gwyn', 'Tomos', 'Cai', 'Geraint', 'Idris', 'Steffan', 'Elis',
    ],
    female: [
      'Siân', 'Cerys', 'Ffion', 'Rhian', 'Bethan', 'Nia', 'Catrin', 'Eleri', 'Angharad', 'Mared', 'Lowri',
      'Seren', 'Gwen', 'Carys', 'Elin', 'Megan', 'Eluned', 'Non', 'Myfanwy', 'Heledd',
    ],
    surnames: [
      'Jones', 'Williams', 'Davies', 'Evans', 'Thomas', 'Roberts', 'Hughes', 'Lewis', 'Morgan', 'Griffiths',
      'Price', 'Lloyd', 'Pritchard', 'Powell', 'Jenkins', 'Rees', 'Owen', 'Parry', 'Vaughan', 'Pugh',
      'Bowen', 'Prosser', 'Llewellyn', 'Probert', 'Gwilym', 'ap Rhys', 'Meredith',
    ],
  },
  irish: {
    male: [
      'Seán', 'Ciarán', 'Pádraig', 'Eoin', 'Cian', 'Oisín', 'Niall', 'Declan', 'Conor', 'Liam', 'Darragh',
      'Cathal', 'Dónal', 'Ruairí', 'Fionn', 'Patrick', 'Michael', 'Kieran', 'Shane', 'Brendan',
    ],
    female: [
      'Róisín', 'Siobhán', 'Niamh', 'Aoife', 'Caoimhe', 'Orla', 'Saoirse', 'Clodagh', 'Sinéad', 'Áine',
      'Bríd', 'Gráinne', 'Méabh', 'Deirdre', 'Nuala', 'Mary', 'Bridget', 'Maeve', 'Ciara', 'Aisling',
    ],
    surnames: [
      'Murphy', 'Kelly', "O'Sullivan", 'Walsh', "O'Brien", 'Byrne', 'Ryan', "O'Connor", "O'Neill",
      "O'Reilly", 'Doyle', 'McCarthy', 'Gallagher', "O'Doherty", 'Kennedy', 'Lynch', 'Murray', 'Quinn',
      'McLoughlin', "O'Carroll", 'Connolly', 'Daly', "O'Connell", 'Brennan', 'Fitzgerald', 'Ó Briain',
      'Mac Giolla', "O'Neil", 'Nolan', 'Keane',
    ],
  },
  pakistani_bangladeshi: {
    male: [
      'Mohammed', 'Muhammad', 'Ahmed', 'Ali', 'Hassan', 'Hussain', 'Imran', 'Bilal', 'Zain', 'Yusuf',
      'Ibrahim', 'Omar', 'Ayaan', 'Adam', 'Abdul', 'Tariq', 'Usman', 'Hamza', 'Rizwan', 'Shahid', 'Kamran',
      'Faisal', 'Abdullah', 'Ismail', 'Rahim', 'Shafiq', 'Mohammad', 'Mohamed',
    ],
    female: [
      'Fatima', 'Aisha', 'Ayesha', 'Maryam', 'Zainab', 'Amina', 'Khadija', 'Hafsa', 'Sana', 'Noor', 'Iqra',
      'Nadia', 'Sadia', 'Rubina', 'Shazia', 'Nasreen', 'Samina', 'Hajra', 'Aleena', 'Inaya', 'Mariam',
      'Yasmin', 'Rukhsana', 'Halima',
    ],
    surnames: [
      'Khan', 'Ahmed', 'Ali', 'Hussain', 'Akhtar', 'Rahman', 'Islam', 'Uddin', 'Miah', 'Chowdhury',
      'Mahmood', 'Iqbal', 'Shah', 'Butt', 'Malik', 'Qureshi', 'Raza', 'Hassan', 'Sheikh', 'Siddiqui',
      'Choudhury', 'Rashid', 'Aziz', 'Mirza', 'Bibi', 'Hossain', 'Karim',
    ],
  },
  indian: {
    male: [
      'Raj', 'Arjun', 'Rohan', 'Vikram', 'Sanjay', 'Amit', 'Ravi', 'Anil', 'Deepak', 'Rajesh', 'Nikhil',
      'Krishna', 'Vijay', 'Suresh', 'Ashok', 'Dev', 'Aarav', 'Vihaan', 'Kiran', 'Pranav',
    ],
    female: [
      'Priya', 'Anjali', 'Sunita', 'Pooja', 'Kiran', 'Neha', 'Meera', 'Asha', 'Divya', 'Lakshmi', 'Geeta',
      'Nisha', 'Shreya', 'Aanya', 'Kavita', 'Rekha', 'Hema', 'Bhavna', 'Anika', 'Diya',
    ],
    surnames: [
      'Patel', 'Shah', 'Sharma', 'Mistry', 'Parmar', 'Chauhan', 'Gupta', 'Kumar', 'Mehta', 'Joshi',
      'Thakrar', 'Lakhani', 'Desai', 'Modi', 'Pandya', 'Rao', 'Nair', 'Iyer', 'Chopra', 'Solanki',
    ],
  },
  sikh: {
    male: [
      'Harpreet', 'Gurpreet', 'Manpreet', 'Jaspreet', 'Amarjit', 'Kulwinder', 'Jasvir', 'Harjit',
      'Rajinder', 'Sukhwinder', 'Baljit', 'Parminder', 'Gurdeep', 'Ranjit', 'Hardeep', 'Arjan', 'Jaswant',
    ],
    female: [
      'Harpreet', 'Gurpreet', 'Manpreet', 'Jaspreet', 'Amarjit', 'Kulwinder', 'Simran', 'Navneet',
      'Amandeep', 'Harleen', 'Jasleen', 'Gurleen', 'Rajinder', 'Parminder', 'Sukhjeet', 'Balvinder',
    ],
    surnames: [
      'Gill', 'Sandhu', 'Sidhu', 'Dhillon', 'Bains', 'Sangha', 'Grewal', 'Johal', 'Atwal', 'Randhawa',
      'Kang', 'Virk', 'Bhamra', 'Sohal', 'Dhaliwal', 'Basra',
    ],
  },
  polish: {
    male: [
      'Łukasz', 'Piotr', 'Krzysztof', 'Tomasz', 'Paweł', 'Michał', 'Jakub', 'Wojciech', 'Marcin',
      'Grzegorz', 'Mateusz', 'Kamil', 'Andrzej', 'Adam', 'Bartłomiej', 'Szymon', 'Dawid', 'Jan',
    ],
    female: [
      'Agnieszka', 'Małgorzata', 'Katarzyna', 'Anna', 'Magdalena', 'Joanna', 'Aleksandra', 'Zofia',
      'Natalia', 'Karolina', 'Ewa', 'Dorota', 'Monika', 'Justyna', 'Marta', 'Zuzanna', 'Julia', 'Beata',
    ],
    // Masculine forms; -ski/-cki/-dzki take -ska/-cka/-dzka for women (see feminineSurname).
    surnames: [
      'Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński', 'Lewandowski', 'Zieliński',
      'Szymański', 'Woźniak', 'Dąbrowski', 'Kozłowski', 'Mazur', 'Jankowski', 'Krawczyk', 'Grabowski',
      'Wróbel', 'Pawlak', 'Michalski', 'Nowicki', 'Król', 'Zając', 'Wieczorek', 'Jabłoński',
    ],
  },
  african_caribbean: {
    male: [
      'Kwame', 'Kofi', 'Chidi', 'Tunde', 'Oluwaseun', 'Emeka', 'Jerome', 'Marcus', 'Tyrone', 'Delroy',
      'Femi', 'Ade', 'Kwabena', 'Chukwuemeka', 'Winston', 'Leroy', 'Jermaine', 'Dwayne', 'Samuel', 'Daniel',
      'Joshua', 'Olumide',
    ],
    female: [
      'Abena', 'Ama', 'Chiamaka', 'Ngozi', 'Folake', 'Adaeze', 'Keisha', 'Shanice', 'Precious', 'Blessing',
      'Grace', 'Chantelle', 'Jasmine', 'Funmilayo', 'Yetunde', 'Esther', 'Marcia', 'Beverley', 'Chioma',
      'Temitope',
    ],
    surnames: [
      'Okafor', 'Adeyemi', 'Mensah', 'Osei', 'Boateng', 'Okonkwo', 'Adebayo', 'Campbell', 'Francis',
      'Bailey', 'Clarke', 'Forbes', 'Grant', 'Asante', 'Owusu', 'Nwosu', 'Eze', 'Oyelaran', 'Brown',
      'Williams', 'Thomas', 'Johnson', 'Ogunleye', 'Agyeman', 'Oduya', 'Afolabi',
    ],
  },
  chinese: {
    male: ['Wei', 'Jun', 'Hao', 'Jian', 'Ming', 'Kevin', 'Chi Keung', 'Wing', 'Tao', 'Yong', 'Jason', 'Ho Yin'],
    female: ['Li Na', 'Xiu', 'Mei', 'Yan', 'Ying', 'Hui', 'Jing', 'Mei Ling', 'Xin', 'Ka Yee', 'Fang', 'Lily'],
    surnames: [
      'Wang', 'Li', 'Zhang', 'Chen', 'Liu', 'Wong', 'Chan', 'Lam', 'Cheung', 'Ng', 'Ho', 'Yang', 'Huang',
      'Lee', 'Leung', 'Tang', 'Lau', 'Chow',
    ],
  },
  other_european: {
    male: [
      'João', 'José', 'Andrei', 'Ionuț', 'Marco', 'Luca', 'Giuseppe', 'Mihai', 'Pedro', 'Tiago',
      'Jürgen', 'François', 'Stefan', 'Dimitris', 'Nikolai', 'Matthias', 'Rui', 'Alexandru',
    ],
    female: [
      'Inês', 'Ana', 'Ioana', 'Maria', 'Giulia', 'Elena', 'Sofia', 'Chloé', 'Beatriz', 'Andreea',
      'Francesca', 'Mónica', 'Lena', 'Eleni', 'Hélène', 'Zoë', 'Raluca', 'Katrin',
    ],
    surnames: [
      'Silva', 'Santos', 'Ferreira', 'Popescu', 'Ionescu', 'Rossi', 'Russo', 'Esposito', 'Müller',
      'Schmidt', 'García', 'Fernández', 'Rodríguez', 'Dubois', 'Pereira', 'Costa', 'Papadopoulos',
      'Georgiou', 'Dumitru', 'Oliveira', 'van der Berg', 'De Souza', 'Da Silva', 'Lefèvre',
    ],
  },
};

/** Street names and their suffixes for synthetic addresses. */
export const STREET_NAMES: readonly string[] = [
  'Station', 'High', 'Church', 'Park', 'Victoria', 'Green', 'Manor', 'Queens', 'Kings', 'Grange',
  'Mill', 'School', 'New', 'Windsor', 'York', 'Albert', 'Springfield', 'Highfield', 'Alexandra',
  'London', 'Main', 'North', 'South', 'West', 'East', 'Oak', 'Elm', 'Beech', 'Ash', 'Willow', 'Cedar',
  'Chestnut', 'Birch', 'Maple', 'Rowan', 'Holly', 'Hawthorn', 'Meadow', 'Orchard', 'Brook', 'Riverside',
  'Hillside', 'Woodland', 'Forest', 'Lime', 'Poplar', 'Sycamore', 'Cherry', 'Laburnum', 'Lilac',
  'Rose', 'Jubilee', 'Coronation', 'Chapel', 'Castle', 'Bridge', 'Market', 'Water', 'Moor', 'Cross',
  'Stanley', 'Nelson', 'Wellington', 'Churchill', 'Gladstone', 'Cromwell', 'Shakespeare', 'Milton',
  'Chaucer', 'Tennyson', 'Byron', 'Kipling', 'Dickens', 'Brunel', 'Darwin', 'Newton', 'Faraday',
  'Nightingale', 'St Johns', "St Mary's", "St Andrew's", 'St Georges', 'Priory', 'Abbey', 'Vicarage',
  'Rectory', 'Farm', 'Common', 'Heath', 'Fairfield', 'Greenacre', 'Ashgrove', 'Belmont', 'Clarence',
  'Cambridge', 'Oxford', 'Stafford', 'Grosvenor', 'Lancaster', 'Warwick', 'Derwent', 'Severn', 'Trent',
  'Thames', 'Mersey', 'Tyne', 'Avon', 'Kennet', 'Cotswold', 'Pennine', 'Malvern', 'Mendip', 'Chiltern',
  'Quarry', 'Kiln', 'Forge', 'Tannery', 'Wharf', 'Canal', 'Railway', 'Tower', 'Ffordd Glan', 'Heol y Llan',
];

export const STREET_SUFFIXES: readonly string[] = [
  'Road', 'Street', 'Avenue', 'Close', 'Lane', 'Drive', 'Way', 'Crescent', 'Gardens', 'Place',
  'Court', 'Grove', 'Terrace', 'Walk', 'Rise', 'View', 'Mews', 'Square', 'Hill', 'Parade',
];
export const STREET_SUFFIX_WEIGHTS: readonly number[] = [
  30, 18, 10, 12, 9, 8, 5, 5, 4, 3, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1,
];

/** Towns of the synthetic borough (fictional where possible; "Anytown" is the county town). */
export const TOWNS: readonly string[] = [
  'Anytown', 'Millbrook', 'Eastfield', 'Westmoor', 'Northgate', 'Southwick Green', 'Oakhampton Vale',
  'Kingsmere', 'Ashcombe', 'Riverside', 'Little Hatherley', 'Brookford', 'Highcliffe-on-Sea',
  "St Bride's", 'Nether Wallop', 'Upper Denton',
];

/** Towns elsewhere in the UK, for addresses people moved from. */
export const OTHER_TOWNS: readonly string[] = [
  'Leeds', 'Bristol', 'Manchester', 'Cardiff', 'Glasgow', 'Birmingham', 'Norwich', 'Plymouth', 'Derby',
  'Swansea', 'Belfast', 'Newcastle upon Tyne', 'Stoke-on-Trent', 'Milton Keynes', "King's Lynn",
];

export const WARDS: readonly string[] = [
  'Castle', 'Abbey', 'Riverside', 'Market', 'Highfield', "St Mary's", 'Brookside', 'Kingsmere North',
  'Kingsmere South', 'Oakwood', 'Millfield', 'Eastgate',
];
